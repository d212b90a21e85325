//! Strongly connected components of the supplier graph: the condensation that orders the
//! solve, suppliers first, and finds the loops.
//!
//! # DESIGN: why a hand-written Tarjan and not petgraph's?
//!
//! petgraph's `tarjan_scc` recurses once per node on the depth-first path; a supply chain of a
//! million activities has paths hundreds of thousands deep and overflows the stack.
//! `kosaraju_scc` is iterative but needs the reverse graph and allocates a `Vec` per
//! component. The iterative Tarjan below runs on the solver's own CSR arrays with no per-node
//! allocation; the tests check it against petgraph's on random graphs.

/// Strongly connected components of the graph with an edge from every consumer to each of its
/// suppliers, by an iterative Tarjan. Returns the products in the order the components are
/// completed (suppliers before their consumers) and the component boundaries in that order.
pub(super) fn tarjan(n: usize, ptr: &[usize], supplier: &[u32]) -> (Vec<u32>, Vec<u32>) {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut comp_ptr: Vec<u32> = vec![0];
    let mut counter = 0u32;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // All indices and counters are < n <= u32::MAX - 1.
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        calls.push((root as u32, ptr[root]));
        while let Some(frame) = calls.last_mut() {
            let v = frame.0 as usize;
            if frame.1 < ptr[v + 1] {
                let w = supplier[frame.1] as usize;
                frame.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, ptr[w]));
                } else if on_stack[w] && index[w] < low[v] {
                    low[v] = index[w];
                }
                continue;
            }
            calls.pop();
            if let Some(parent) = calls.last() {
                let u = parent.0 as usize;
                if low[v] < low[u] {
                    low[u] = low[v];
                }
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    order.push(w);
                    if w as usize == v {
                        break;
                    }
                }
                comp_ptr.push(order.len() as u32);
            }
        }
    }
    (order, comp_ptr)
}
