//! The supply chain as a petgraph graph: nodes are the reporting company's processes and the
//! purchased inputs (suppliers' products, database factors, fuels, heat, electricity); edges are
//! flows with their amounts. Used to draw the supply chain (Graphviz DOT, edges weighted by
//! their contribution to a product's footprint).

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::engine::Model;
use crate::engine::ch;
use crate::inventory::{Inventory, Source};
use crate::report::num;

/// A node of the supply chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A process of the reporting company (index into processes).
    Process(usize),
    /// A purchased input: (process index, input index).
    Purchased(usize, usize),
}

/// A flow: `amount` of `what` from one node to the consuming process.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// What flows (product or input name).
    pub what: String,
    /// Amount per reference period of the consumer.
    pub amount: f64,
    /// Unit.
    pub unit: String,
    /// The consuming process's input index.
    pub input: usize,
}

/// The supply chain graph of an inventory.
pub struct SupplyChain {
    /// The graph.
    pub graph: DiGraph<Node, Flow>,
    process_nodes: Vec<NodeIndex>,
}

impl SupplyChain {
    /// Builds the graph.
    pub fn new(inv: &Inventory) -> SupplyChain {
        let mut graph = DiGraph::new();
        let process_nodes: Vec<NodeIndex> =
            (0..inv.processes.len()).map(|i| graph.add_node(Node::Process(i))).collect();
        for (pi, p) in inv.processes.iter().enumerate() {
            for (ii, inp) in p.inputs.iter().enumerate() {
                let from = match inp.source {
                    Source::Product(m) => process_nodes[inv.products[m].made_by.0],
                    _ => graph.add_node(Node::Purchased(pi, ii)),
                };
                graph.add_edge(
                    from,
                    process_nodes[pi],
                    Flow {
                        what: inp.name.clone(),
                        amount: inp.amount,
                        unit: inp.unit.symbol().into(),
                        input: ii,
                    },
                );
            }
        }
        SupplyChain { graph, process_nodes }
    }

    /// Graphviz DOT of the supply chain; with a model and a product, edges are labelled and
    /// weighted by what they contribute to one declared unit of that product.
    pub fn to_dot(&self, inv: &Inventory, model: Option<(&Model<'_>, usize)>) -> String {
        // Contribution of each (process, input) to the chosen product.
        let mut contribution: HashMap<(usize, usize), f64> = HashMap::new();
        let mut total = 0.0;
        if let Some((m, j)) = model {
            let n = inv.products.len();
            let mut demand = vec![0.0; n];
            demand[j] = 1.0;
            let supply = m.factorization.supply(&demand);
            total = m.unit_value(j, ch::COUNTED);
            for (pi, p) in inv.processes.iter().enumerate() {
                // How many reference periods of this process the product needs (via its
                // reference output's allocated share is already inside `supply`): use the
                // per-unit inputs of each output.
                for (ii, inp) in p.inputs.iter().enumerate() {
                    let mut c = 0.0;
                    for o in &p.outputs {
                        let s = supply[o.product];
                        if s == 0.0 {
                            continue;
                        }
                        match inp.source {
                            Source::Product(k) => {
                                if let Some((_, a, _)) = m.product_inputs[o.product]
                                    .iter()
                                    .find(|(kk, _, ptr)| *kk == k && *ptr == inp.pointer)
                                {
                                    c += s * a * m.unit_value(k, ch::COUNTED);
                                }
                            }
                            _ => {
                                for &(it, r) in &m.product_items[o.product] {
                                    let item = &m.items[it];
                                    if item.pointer == inp.pointer {
                                        c += s * r * item.channels(m.methodology)[ch::COUNTED];
                                    }
                                }
                            }
                        }
                    }
                    contribution.insert((pi, ii), c);
                }
            }
        }
        let mut out = String::from(
            "digraph supply_chain {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for idx in self.graph.node_indices() {
            let (label, shape) = match self.graph[idx] {
                Node::Process(pi) => {
                    let p = &inv.processes[pi];
                    let outs: Vec<&str> =
                        p.outputs.iter().map(|o| inv.products[o.product].id.0.as_str()).collect();
                    (format!("{}\\n-> {}", p.name, outs.join(", ")), "box")
                }
                Node::Purchased(pi, ii) => {
                    let inp = &inv.processes[pi].inputs[ii];
                    let kind = match inp.source {
                        Source::Supplier(_) => "supplier",
                        Source::Database(_) => "database",
                        Source::Fuel(_) => "fuel",
                        Source::Heat(_) => "heat",
                        Source::Electricity { .. } => "electricity",
                        Source::Product(_) => "product",
                        Source::Precursor(_) => "precursor",
                    };
                    (format!("{}\\n({kind})", inp.name), "ellipse")
                }
            };
            let _ =
                writeln!(out, "  n{} [label=\"{}\", shape={shape}];", idx.index(), escape(&label));
        }
        for e in self.graph.edge_indices() {
            let Some((a, b)) = self.graph.edge_endpoints(e) else { continue };
            let flow = &self.graph[e];
            let pi = match self.graph[b] {
                Node::Process(pi) => pi,
                Node::Purchased(pi, _) => pi,
            };
            let mut label = format!("{} {}", num(flow.amount), flow.unit);
            let mut width = 1.0;
            let excluded = inv.processes[pi].inputs[flow.input].excluded.is_some();
            if excluded {
                label.push_str("\\nexcluded under cut-off");
            } else if let Some(c) = contribution.get(&(pi, flow.input)) {
                let share = if total != 0.0 { 100.0 * c / total } else { 0.0 };
                label.push_str(&format!("\\n{} kg CO2e ({share:.1} %)", num(*c)));
                width = 0.5 + 6.0 * (share.abs() / 100.0).min(1.0);
            }
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\", penwidth={width:.2}{}];",
                a.index(),
                b.index(),
                escape(&label),
                if excluded { ", style=dashed" } else { "" }
            );
        }
        out.push_str("}\n");
        let _ = &self.process_nodes;
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('"', "\\\"")
}
