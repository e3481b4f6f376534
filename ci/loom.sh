#!/usr/bin/env bash
# Model-checks weft-core's concurrency (growth, wait/notify, cancellable
# waits, limited grows, program termination) with loom, then proves the
# models can fail: builds with the fast-path fences removed (feature
# `broken-no-fence`), with the grown length published Relaxed
# (`broken-relaxed-publish`), with the interrupt flag read outside its lock
# (`broken-unlocked-interrupt-check`), with the cancel path's status
# re-check removed (`broken-cancel-no-recheck`), with a grow's limiter asked
# outside the grow lock (`broken-limiter-outside-lock`), with a NotEqual
# wait's count decrement dropped (`broken-missing-decrement`), with a
# program's exit flag set by a load and a store instead of a swap
# (`broken-exit-load-store`), with join_all stopping after one round
# (`broken-join-one-round`), with the epoch's Dekker pair (a wait's watch
# vs an increment) without its fences (`broken-epoch-no-fence`) and with a
# moved epoch deadline keeping the old one's poke (`broken-epoch-stale-poke`)
# must be caught.
#
# Runs from anywhere; a few minutes on 2 cores. loom needs `--cfg loom`,
# which would invalidate every other crate's build, so it gets its own
# target directory.
set -euxo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
unset WEFT_LOOM_UNBOUNDED LOOM_MAX_PREEMPTIONS

loom_test() {
    cargo test -p weft-loom-tests --release "$@"
}

start=$SECONDS

# 1. Every model at the CI bound, then at 3 (cheap: ~1 s in total).
LOOM_MAX_PREEMPTIONS=2 loom_test -- --nocapture --test-threads 1
LOOM_MAX_PREEMPTIONS=3 loom_test -- --nocapture --test-threads 1

# 2. The small models with no bound at all (each well under a second; the
# handoff and FIFO models take many minutes unbounded and stay at 3).
WEFT_LOOM_UNBOUNDED=1 loom_test --test grow -- --nocapture --test-threads 1
WEFT_LOOM_UNBOUNDED=1 loom_test --test grow_limiter -- --nocapture --test-threads 1
WEFT_LOOM_UNBOUNDED=1 loom_test --test wait_notify -- --nocapture --test-threads 1 --exact \
    no_lost_wakeup_wait_vs_store_notify \
    not_equal_leaves_the_count_balanced \
    timeout_racing_notify_is_counted_once
# (interrupt_racing_notify_is_counted_once takes ~160 s unbounded: it stays
# at bound 3.)
WEFT_LOOM_UNBOUNDED=1 loom_test --test interrupt -- --nocapture --test-threads 1 --exact \
    interrupt_before_or_during_the_wait_is_never_missed
# The termination models are small (all three well under a second).
WEFT_LOOM_UNBOUNDED=1 loom_test --test exit -- --nocapture --test-threads 1
# The epoch models that stay small unbounded (under a second and ~15 s; the
# stop-racing-notify model does not, and stays at bound 3).
WEFT_LOOM_UNBOUNDED=1 loom_test --test epoch -- --nocapture --test-threads 1 --exact \
    an_increment_racing_the_watch_is_never_slept_through \
    a_moved_deadline_is_reported_once_and_only_when_reached

# 3. The broken variant must be caught. Build first, so that a compile error
# cannot pass for a caught bug; then run each fence-sensitive model in its
# own process (a failing loom model may abort its whole test binary, loom
# #291) and require it to fail, at the CI bound and at bound 0.
loom_test --features broken-no-fence --no-run
for bound in 2 0; do
    for model in no_lost_wakeup_wait_vs_store_notify handoff_never_sleeps_through_a_notify; do
        log="$CARGO_TARGET_DIR/broken-$model-$bound.log"
        if LOOM_MAX_PREEMPTIONS=$bound loom_test --features broken-no-fence \
            --test wait_notify -- --exact "$model" --test-threads 1 >"$log" 2>&1; then
            cat "$log"
            echo "ci/loom.sh: FAILED: loom model $model passed at bound $bound against" \
                 "weft-core built with the fast-path fences removed (broken-no-fence);" \
                 "the model no longer detects lost wake-ups" >&2
            exit 1
        fi
        # A lost wake-up shows as a loom deadlock (the waiter sleeps forever);
        # any other failure is a broken model, not a caught bug.
        if ! grep -q "deadlock" "$log"; then
            cat "$log"
            echo "ci/loom.sh: FAILED: $model failed against broken-no-fence," \
                 "but not with the expected deadlock (lost wake-up)" >&2
            exit 1
        fi
        echo "ci/loom.sh: ok: $model caught the missing fence at bound $bound"
    done
done

# 4. A second broken variant: the grown length published Relaxed. Readers
# then touch pages whose commit they cannot see; the heap reservation's
# loom-checked page flags must report it as a causality violation.
loom_test --features broken-relaxed-publish --no-run
for model in concurrent_grows_serialize_and_readers_see_committed_pages shared_clones_see_one_length; do
    log="$CARGO_TARGET_DIR/broken-$model-relaxed.log"
    if LOOM_MAX_PREEMPTIONS=2 loom_test --features broken-relaxed-publish \
        --test grow -- --exact "$model" --test-threads 1 >"$log" 2>&1; then
        cat "$log"
        echo "ci/loom.sh: FAILED: loom model $model passed against weft-core built" \
             "with a Relaxed publish of the grown length (broken-relaxed-publish)" >&2
        exit 1
    fi
    if ! grep -q "Causality violation" "$log"; then
        cat "$log"
        echo "ci/loom.sh: FAILED: $model failed against broken-relaxed-publish," \
             "but not with the expected causality violation" >&2
        exit 1
    fi
    echo "ci/loom.sh: ok: $model caught the Relaxed publish"
done

# 5. Two broken variants of cancellable waits: the interrupt flag read
# before taking the interrupt lock (an interrupt then finds no parker to
# cancel: the waiter sleeps through it, a loom deadlock), and the cancel
# path without its status re-check under the bucket lock (a waiter both
# counted by notify and reported interrupted: the model's assertion).
check_broken() {
    local feature=$1 model=$2 expect=$3 test=${4:-interrupt} bound=${5:-2}
    loom_test --features "$feature" --no-run
    local log="$CARGO_TARGET_DIR/broken-$model-$feature-$bound.log"
    if LOOM_MAX_PREEMPTIONS=$bound loom_test --features "$feature" \
        --test "$test" -- --exact "$model" --test-threads 1 >"$log" 2>&1; then
        cat "$log"
        echo "ci/loom.sh: FAILED: loom model $model passed at bound $bound against" \
             "weft-core built with $feature" >&2
        exit 1
    fi
    if ! grep -q "$expect" "$log"; then
        cat "$log"
        echo "ci/loom.sh: FAILED: $model failed against $feature," \
             "but not with the expected '$expect'" >&2
        exit 1
    fi
    echo "ci/loom.sh: ok: $model caught $feature at bound $bound"
}
check_broken broken-unlocked-interrupt-check interrupt_before_or_during_the_wait_is_never_missed deadlock
check_broken broken-cancel-no-recheck interrupt_racing_notify_is_counted_once "counted twice or not at all"

# 6. One more broken variant: a grow's approver (the resource limiter) asked
# with a size read before the grow lock. Two grows are then approved from
# the same old size and together pass the limiters' bound, and a limiter is
# shown a size another thread's grow has already changed.
loom_test --features broken-limiter-outside-lock --no-run
for entry in \
    "a_limiter_under_the_grow_lock_bounds_concurrent_grows:concurrent grows passed the limiters' bound" \
    "a_limiter_sees_the_size_its_grow_starts_from:the limiter saw a stale size"; do
    model="${entry%%:*}"
    expected="${entry#*:}"
    log="$CARGO_TARGET_DIR/broken-$model.log"
    if LOOM_MAX_PREEMPTIONS=2 loom_test --features broken-limiter-outside-lock \
        --test grow_limiter -- --exact "$model" --test-threads 1 >"$log" 2>&1; then
        cat "$log"
        echo "ci/loom.sh: FAILED: loom model $model passed against weft-core built" \
             "with the limiter asked outside the grow lock (broken-limiter-outside-lock)" >&2
        exit 1
    fi
    if ! grep -q "$expected" "$log"; then
        cat "$log"
        echo "ci/loom.sh: FAILED: $model failed against broken-limiter-outside-lock," \
             "but not with \"$expected\"" >&2
        exit 1
    fi
    echo "ci/loom.sh: ok: $model caught the limiter asked outside the grow lock"
done

# 7. A NotEqual wait that never takes back its waiter count. Nothing blocks
# (notify only takes the slow path more often), so only the model's final
# read of the bucket's count can see it.
check_broken broken-missing-decrement not_equal_leaves_the_count_balanced \
    "waiter count unbalanced" wait_notify

# 8. Two broken program exits: the exiting flag set by a load and a
# separate store (two racing exits both find it clear and both run the
# once-only action: interrupt + wake-pipe byte), and join_all stopping after
# one round (a thread recorded while joining is never joined). Each model
# must fail with its assertion, at the CI bound and at bound 0.
for entry in \
    "broken-exit-load-store:racing_exits_record_one_outcome_and_act_once:the on-exit action ran twice" \
    "broken-join-one-round:join_all_joins_a_thread_spawned_while_joining:a spawned thread was never joined"; do
    feature="${entry%%:*}"
    rest="${entry#*:}"
    model="${rest%%:*}"
    expected="${rest#*:}"
    loom_test --features "$feature" --no-run
    for bound in 2 0; do
        log="$CARGO_TARGET_DIR/broken-$model-$feature-$bound.log"
        if LOOM_MAX_PREEMPTIONS=$bound loom_test --features "$feature" \
            --test exit -- --exact "$model" --test-threads 1 >"$log" 2>&1; then
            cat "$log"
            echo "ci/loom.sh: FAILED: loom model $model passed at bound $bound against" \
                 "weft-core built with $feature" >&2
            exit 1
        fi
        if ! grep -q "$expected" "$log"; then
            cat "$log"
            echo "ci/loom.sh: FAILED: $model failed against $feature," \
                 "but not with \"$expected\"" >&2
            exit 1
        fi
        echo "ci/loom.sh: ok: $model caught $feature at bound $bound"
    done
done

# 9. Two broken epoch deadlines in a wait: the watch and the increment
# without their SeqCst fences (an increment then misses a waiter that
# misses the increment: it sleeps past its deadline, a loom deadlock, at
# the CI bound and at bound 0), and a rewatch that keeps the poke meant for
# the old deadline (the callback then runs before its new deadline: the
# model's assertion; it takes three preemptions to reach, the bound every
# model also runs at in step 1).
for bound in 2 0; do
    check_broken broken-epoch-no-fence an_increment_racing_the_watch_is_never_slept_through \
        deadlock epoch "$bound"
done
check_broken broken-epoch-stale-poke a_moved_deadline_is_reported_once_and_only_when_reached \
    "the callback ran before its deadline" epoch 3

echo "ci/loom.sh: all loom models passed and all ten broken variants were caught in $((SECONDS - start)) s"
