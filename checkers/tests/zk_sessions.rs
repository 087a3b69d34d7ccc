//! The ordering checker on hand-written histories around expired sessions: their closes
//! are transactions no client called and no reply names, revealed only by what they did to
//! a parent (its pzxid, cversion, children) and by NodeDeleted notifications. Each history
//! is one that the ZooKeeper recipe scenarios produced (the seed is named) cut to its core;
//! each passes, and a variant that no order of the writes and closes explains is caught.

use splitbrain_checkers::zk::Guarantee;

#[path = "common/zkhist.rs"]
mod zkhist;
use zkhist::*;

/// /l with C1's n-0000000000 (zxid 2) and C2's n-0000000001 (zxid 3); C3 watches n-0 (C3's
/// first operation) and C4 watches n-1.
fn two_children() -> Vec<String> {
    vec![
        op("C0", 0, 10, &create("/l", ""), &created("/l", 1)),
        op("C1", 10, 20, &seq_eph("/l"), &created("/l/n-0000000000", 2)),
        op("C2", 10, 21, &seq_eph("/l"), &created("/l/n-0000000001", 3)),
        op(
            "C3",
            22,
            23,
            &exists_watch("/l/n-0000000000"),
            &set_ok(&eph_stat(2), 3),
        ),
        op(
            "C4",
            22,
            23,
            &exists_watch("/l/n-0000000001"),
            &set_ok(&eph_stat(3), 3),
        ),
    ]
}

/// C2's delete of n-1 is unfinished; a NodeDeleted notification places it at zxid 5. C1's
/// session expired and its close (zxid 4) deleted n-0 unseen. A get-children answered at
/// zxid 6 (after C0's create of /x) lists no child, with pzxid 5 and cversion 4: the close
/// came before the delete, both at or below 5 (zab-recipe-scalable-lock seed 318 looked
/// for the close only at the read's zxid, where the pzxid rules it out).
#[test]
fn a_session_close_is_placed_before_a_delete_a_notification_revealed() {
    let mut ops = two_children();
    ops.push(unfinished("C2", 30, &delete("/l/n-0000000001")));
    ops.push(op("C0", 60, 61, &create("/x", ""), &created("/x", 6)));
    ops.push(op(
        "C4",
        62,
        63,
        &get_children("/l"),
        &children(&[], &stat(1, 1, 5, 0, 4), 6),
    ));
    let notices = [
        notice("C1", 40, 1, &expired(11)),
        notice("C4", 50, 1, &watch("/l/n-0000000001", "NodeDeleted", 5)),
    ];
    assert_passes(&check(&ops, &notices));
    // Three changes of children cannot have emptied /l (two creates and two deletes).
    let last = ops.len() - 1;
    ops[last] = op(
        "C4",
        62,
        63,
        &get_children("/l"),
        &children(&[], &stat(1, 1, 5, 0, 3), 6),
    );
    assert_breaks(&check(&ops, &notices), Guarantee::ReadReflectsPrefix);
}

/// A NodeDeleted notification for n-0 at zxid 4 names a znode no unfinished write deletes:
/// C1's session closed there. /l's pzxid 4 in a get-children reveals the same zxid; it is
/// that close, not C2's unfinished delete of n-1 (zab-recipe-scalable-lock seed 184 placed
/// both at zxid 4, and the read listing n-1 then failed).
#[test]
fn a_parents_pzxid_at_a_revealed_session_close_is_that_close() {
    let mut ops = two_children();
    ops.push(unfinished("C2", 30, &delete("/l/n-0000000001")));
    let read = |kids: &[&str], cversion| {
        op(
            "C3",
            60,
            61,
            &get_children("/l"),
            &children(kids, &stat(1, 1, 4, 0, cversion), 4),
        )
    };
    ops.push(read(&["n-0000000001"], 3));
    let notices = [
        notice("C1", 40, 1, &expired(11)),
        notice("C3", 50, 1, &watch("/l/n-0000000000", "NodeDeleted", 4)),
    ];
    assert_passes(&check(&ops, &notices));
    // Both children gone takes four changes of children, not three.
    let last = ops.len() - 1;
    ops[last] = read(&[], 3);
    assert_breaks(&check(&ops, &notices), Guarantee::ReadReflectsPrefix);
}

/// C1's and C2's sessions expired. C5's create at zxid 5 is named n-0000000003: one close
/// came before it, unseen. A NodeDeleted notification puts C1's close at zxid 6, so the
/// close before 5 was C2's (a session closes once); a get-children at zxid 7 lists C5's
/// child only (zab-recipe-scalable-lock seed 697 closed C1's session twice and C2's never).
#[test]
fn a_session_whose_close_a_notification_places_later_is_not_closed_earlier() {
    let mut ops = two_children();
    ops.push(op(
        "C5",
        50,
        51,
        &seq_eph("/l"),
        &created("/l/n-0000000003", 5),
    ));
    ops.push(op("C0", 70, 71, &create("/x", ""), &created("/x", 7)));
    let read = |kids: &[&str]| {
        op(
            "C5",
            72,
            73,
            &get_children("/l"),
            &children(kids, &stat(1, 1, 6, 0, 5), 7),
        )
    };
    ops.push(read(&["n-0000000003"]));
    let notices = [
        notice("C1", 40, 1, &expired(11)),
        notice("C2", 41, 1, &expired(12)),
        notice("C3", 60, 1, &watch("/l/n-0000000000", "NodeDeleted", 6)),
    ];
    assert_passes(&check(&ops, &notices));
    // C2's child cannot still be there: something else changed /l before zxid 5.
    let last = ops.len() - 1;
    ops[last] = read(&["n-0000000001", "n-0000000003"]);
    assert_breaks(&check(&ops, &notices), Guarantee::ReadReflectsPrefix);
}

/// C2 deleted its child n-1 (zxid 4), then two ephemeral creates of C2 stayed unfinished
/// and its session expired. C5's create at zxid 7 is named n-0000000005: two changes of /l
/// happened unseen. C5's get-children at the same zxid lists n-0 and its own child only:
/// one of C2's creates took effect and C2's close deleted it (zab-recipe-scalable-lock seed
/// 886 took both creates, which the read denies; C2 owned nothing to close before them).
#[test]
fn a_hidden_create_and_its_sessions_close_explain_a_name_and_a_read() {
    let mut ops = two_children();
    ops.push(op(
        "C2",
        24,
        25,
        &delete("/l/n-0000000001"),
        r#"{"r": "deleted", "zxid": 4}"#,
    ));
    ops.push(unfinished("C2", 30, &seq_eph("/l")));
    ops.push(unfinished("C2", 31, &seq_eph("/l")));
    ops.push(op(
        "C5",
        50,
        51,
        &seq_eph("/l"),
        &created("/l/n-0000000005", 7),
    ));
    let read = |kids: &[&str]| {
        op(
            "C5",
            52,
            53,
            &get_children("/l"),
            &children(kids, &stat(1, 1, 7, 0, 6), 7),
        )
    };
    ops.push(read(&["n-0000000000", "n-0000000005"]));
    let notices = [notice("C2", 40, 2, &expired(12))];
    assert_passes(&check(&ops, &notices));
    // One of C2's creates still there with n-5 named: no order of the closes gives it.
    let last = ops.len() - 1;
    ops[last] = read(&["n-0000000000", "n-0000000003", "n-0000000005"]);
    assert_breaks(&check(&ops, &notices), Guarantee::ReadReflectsPrefix);
}

/// C1's close (zxid 4) is revealed by a NodeDeleted notification; zxid 5 only by /l's pzxid
/// in a get-children answered at zxid 6, which lists no child. C3's unfinished create under
/// /l would give cversion 4 at zxid 5 too, but leave children the read does not list: the
/// change at 5 was C2's session's close (zab-recipe-election seed 577 placed the create).
#[test]
fn the_children_a_read_lists_decide_between_a_hidden_create_and_a_session_close() {
    let mut ops = two_children();
    ops.push(unfinished("C5", 30, &seq_eph("/l")));
    ops.push(op("C0", 60, 61, &create("/x", ""), &created("/x", 6)));
    let read = |kids: &[&str]| {
        op(
            "C3",
            62,
            63,
            &get_children("/l"),
            &children(kids, &stat(1, 1, 5, 0, 4), 6),
        )
    };
    ops.push(read(&[]));
    let notices = [
        notice("C1", 40, 1, &expired(11)),
        notice("C2", 41, 1, &expired(12)),
        notice("C3", 50, 1, &watch("/l/n-0000000000", "NodeDeleted", 4)),
    ];
    assert_passes(&check(&ops, &notices));
    // Listing C5's child (named from cversion 3) with n-1 gone is one change too many.
    let last = ops.len() - 1;
    ops[last] = read(&["n-0000000003"]);
    assert_breaks(&check(&ops, &notices), Guarantee::ReadReflectsPrefix);
}
