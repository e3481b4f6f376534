//! Files in the preopened directory `/data`, from several threads; then
//! attempts to leave it, each of which must fail.

use std::fs;
use std::io::Write;
use std::thread;

fn main() {
    let handles: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || {
                let path = format!("/data/t{t}.txt");
                let mut f = fs::File::create(&path).unwrap();
                for i in 0..100 {
                    writeln!(f, "{t} {i}").unwrap();
                }
                drop(f);
                fs::read_to_string(&path).unwrap().lines().count()
            })
        })
        .collect();
    let lines: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!("lines {lines}");
    fs::create_dir("/data/sub").unwrap();
    fs::rename("/data/t0.txt", "/data/sub/moved.txt").unwrap();
    let mut names: Vec<String> = fs::read_dir("/data")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    println!("listing {}", names.join(","));
    println!("size {}", fs::metadata("/data/sub/moved.txt").unwrap().len());
    fs::remove_file("/data/sub/moved.txt").unwrap();
    fs::remove_dir("/data/sub").unwrap();
    for escape in ["/data/../outside.txt", "/etc/passwd", "/data/link/secret.txt", "/data/abs/passwd"] {
        println!("escape {escape} {}", fs::read_to_string(escape).is_err());
    }
    println!("create outside {}", fs::File::create("/data/../created.txt").is_err());
}
