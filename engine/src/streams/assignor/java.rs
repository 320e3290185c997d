//! The two pieces of the JDK whose behaviour leaks into Kafka Streams' assignment.
//!
//! - [`PriorityQueue`]: `java.util.PriorityQueue`, a binary heap, ported method by method
//!   (`offer`, `poll`, `remove(Object)`, `heapify`). Kafka relies on more than its poll order:
//!   `StreamsPartitionAssignor.assignTasksToThreads` *iterates* a `PriorityQueue<TaskId>` (array
//!   order, not sorted order), and `ConstrainedPrioritySet` keeps clients in a queue whose
//!   comparator reads each client's *current* load, so a client whose load changed while queued is
//!   only put right when Kafka removes and re-offers it. Reproducing the heap array reproduces both.
//!   The comparator is passed to every call (as Kafka's comparator closes over mutable state).
//! - [`hash_set_order`]: the iteration order of a `java.util.HashSet` (or `HashMap` keys):
//!   the `HashSet<TaskId>` built by `Collectors.toSet()`, which `ClientState.statefulActiveTasks()`
//!   / `statelessActiveTasks()` return and `assignTasksToThreads` heapifies, and the
//!   `HashMap<String, Subscription>` of member ids the leader's assignor is handed. Java's `HashMap` (unchanged since JDK 8): 16
//!   buckets on the first insert, doubled when `size > 0.75 * capacity`, bucket
//!   `(h ^ (h >>> 16)) & (capacity - 1)`, insertion order within a bucket (a resize keeps it). Tree
//!   bins (8 keys in one bucket of a table of at least 64) are not emulated: they need 49+ tasks on
//!   one instance with colliding hashes. (`group/assignor/java.rs` has the same rule for the
//!   consumer assignors' `HashMap`s.)

use std::cmp::Ordering;

/// `java.util.PriorityQueue<T>` with a comparator supplied per call.
#[derive(Debug, Clone)]
pub(crate) struct PriorityQueue<T> {
    /// The heap array (`queue` in the JDK), `size` elements long.
    es: Vec<T>,
}

impl<T: Clone + PartialEq> PriorityQueue<T> {
    /// `new PriorityQueue<>(comparator)`.
    pub(crate) fn new() -> Self {
        PriorityQueue { es: Vec::new() }
    }

    /// `new PriorityQueue<>(collection)` for a collection that is neither a `SortedSet` nor a
    /// `PriorityQueue`: the elements in the collection's iteration order, then `heapify()`.
    pub(crate) fn from_collection(items: Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) -> Self {
        let mut q = PriorityQueue { es: items };
        let n = q.es.len();
        for i in (0..n / 2).rev() {
            let x = q.es[i].clone();
            q.sift_down(i, x, n, &cmp);
        }
        q
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.es.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.es.len()
    }

    /// `contains(o)`: `indexOf(o) >= 0`, by `equals`.
    pub(crate) fn contains(&self, o: &T) -> bool {
        self.es.iter().any(|e| e == o)
    }

    /// `iterator()`: the heap array in index order (not sorted).
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.es.iter()
    }

    /// `offer(e)`: append, then `siftUp`.
    pub(crate) fn offer(&mut self, x: T, cmp: impl Fn(&T, &T) -> Ordering) {
        let k = self.es.len();
        self.es.push(x.clone());
        self.sift_up(k, x, &cmp);
    }

    /// `poll()`: the head; the last element moves to the root and sifts down.
    pub(crate) fn poll(&mut self, cmp: impl Fn(&T, &T) -> Ordering) -> Option<T> {
        if self.es.is_empty() {
            return None;
        }
        let result = self.es[0].clone();
        let x = self.es.pop().expect("non-empty");
        let n = self.es.len();
        if n > 0 {
            self.sift_down(0, x, n, &cmp);
        }
        Some(result)
    }

    /// `remove(o)`: the first element `equals` to `o` in array order, by `removeAt`.
    pub(crate) fn remove(&mut self, o: &T, cmp: impl Fn(&T, &T) -> Ordering) -> bool {
        match self.es.iter().position(|e| e == o) {
            Some(i) => {
                self.remove_at(i, &cmp);
                true
            }
            None => false,
        }
    }

    /// `removeAt(i)`: the last element takes slot `i`, sifts down, and up if it did not move.
    fn remove_at(&mut self, i: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
        let s = self.es.len() - 1;
        let moved = self.es.pop().expect("non-empty");
        // `s == i`: the removed element was the last one; nothing moves.
        if s != i && self.sift_down(i, moved.clone(), s, cmp) == i {
            self.sift_up(i, moved, cmp);
        }
    }

    /// `siftDownUsingComparator(k, x, es, n, cmp)`; returns where `x` landed.
    fn sift_down(
        &mut self,
        mut k: usize,
        x: T,
        n: usize,
        cmp: &impl Fn(&T, &T) -> Ordering,
    ) -> usize {
        let half = n / 2;
        while k < half {
            let mut child = 2 * k + 1;
            let right = child + 1;
            if right < n && cmp(&self.es[child], &self.es[right]) == Ordering::Greater {
                child = right;
            }
            if cmp(&x, &self.es[child]) != Ordering::Greater {
                break;
            }
            self.es[k] = self.es[child].clone();
            k = child;
        }
        self.es[k] = x;
        k
    }

    /// `siftUpUsingComparator(k, x, es, cmp)`.
    fn sift_up(&mut self, mut k: usize, x: T, cmp: &impl Fn(&T, &T) -> Ordering) {
        while k > 0 {
            let parent = (k - 1) / 2;
            if cmp(&x, &self.es[parent]) != Ordering::Less {
                break;
            }
            self.es[k] = self.es[parent].clone();
            k = parent;
        }
        self.es[k] = x;
    }
}

/// The iteration order of a `java.util.HashSet` into which `keys` were added in the given order
/// (duplicates ignored), given each key's `hashCode()`.
pub(crate) fn hash_set_order<T: Clone + PartialEq>(keys: &[T], hash: impl Fn(&T) -> i32) -> Vec<T> {
    let mut inserted: Vec<T> = Vec::with_capacity(keys.len());
    for k in keys {
        if !inserted.contains(k) {
            inserted.push(k.clone());
        }
    }
    // The table's capacity after these inserts: 16, doubled whenever size exceeds 3/4 of it.
    let mut capacity = 16usize;
    while inserted.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let bucket = |k: &T| {
        let h = hash(k);
        ((h ^ ((h as u32) >> 16) as i32) as u32 as usize) & (capacity - 1)
    };
    // Stable: within a bucket, insertion order.
    inserted.sort_by_key(|k| bucket(k));
    inserted
}

/// `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
pub(crate) fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::assignor::TaskId;

    fn natural(a: &u32, b: &u32) -> Ordering {
        a.cmp(b)
    }

    #[test]
    fn heapify_matches_the_jdk_array() {
        // new PriorityQueue<>(List.of(3, 2, 1, 0)) has the array [0, 2, 1, 3] in the JDK.
        let q = PriorityQueue::from_collection(vec![3, 2, 1, 0], natural);
        assert_eq!(q.iter().copied().collect::<Vec<_>>(), vec![0, 2, 1, 3]);
    }

    #[test]
    fn poll_is_sorted_and_remove_keeps_a_heap() {
        let mut q = PriorityQueue::from_collection(vec![5, 1, 4, 2, 3, 0], natural);
        assert!(q.remove(&2, natural));
        assert!(!q.contains(&2));
        q.offer(7, natural);
        let mut out = Vec::new();
        while let Some(x) = q.poll(natural) {
            out.push(x);
        }
        assert_eq!(out, vec![0, 1, 3, 4, 5, 7]);
    }

    #[test]
    fn string_hash_code_matches_java() {
        // "Aa" and "BB" collide in Java (2112).
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("Aa"), 2112);
        assert_eq!(string_hash_code("BB"), 2112);
        assert_eq!(
            string_hash_code("consumer-1"),
            "consumer-1"
                .chars()
                .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
        );
    }

    #[test]
    fn hash_set_of_small_task_ids_iterates_by_bucket() {
        // Buckets (15 + g - p) mod 16: 0_0 → 15, 0_1 → 14, 0_2 → 13, 0_3 → 12.
        let tasks: Vec<TaskId> = (0..4).map(|p| TaskId::new(0, p)).collect();
        let order = hash_set_order(&tasks, |t| t.java_hash_code());
        assert_eq!(order, tasks.iter().rev().copied().collect::<Vec<_>>());
    }
}
