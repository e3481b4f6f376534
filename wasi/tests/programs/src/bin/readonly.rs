//! Under a read-only preopen `/data`: reading works, changing fails.

use std::fs;

fn main() {
    println!("read {}", fs::read_to_string("/data/a.txt").unwrap());
    println!("create {}", fs::File::create("/data/new.txt").is_err());
    println!("write {}", fs::OpenOptions::new().append(true).open("/data/a.txt").is_err());
    println!("mkdir {}", fs::create_dir("/data/sub").is_err());
    println!("remove {}", fs::remove_file("/data/a.txt").is_err());
}
