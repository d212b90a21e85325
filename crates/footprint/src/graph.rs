//! The supply chain as a petgraph graph: nodes are the reporting company's processes and the
//! purchased inputs (suppliers' products, database factors, fuels, heat, electricity); edges are
//! flows with their amounts. Drawn as Graphviz DOT ([`SupplyChain::to_dot`]): titled with the
//! product, methodology and footprint, a legend of shapes, dashes and widths, and every label on
//! one basis, per declared unit of the product (edges weighted by their share of its footprint).

use std::collections::HashMap;
use std::fmt::Write as _;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::engine::Model;
use crate::engine::ch;
use crate::inventory::{Inventory, Source};
use crate::report::{num, pct};

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

    /// Graphviz DOT of the supply chain, titled and with a legend of what shapes, dashes and
    /// widths mean. With a model and a product, every edge is on one basis, written in the
    /// title: per declared unit of that product (the amount of the input the product's chain
    /// takes, allocated, and the kg CO2e it brings with its share of the total), and the title
    /// gives the product's footprint. Without, edges carry the inventory's amounts, per
    /// reference period of the consuming process.
    pub fn to_dot(&self, inv: &Inventory, model: Option<(&Model<'_>, usize)>) -> String {
        let basis = model.map(|(m, j)| Basis::of(inv, m, j));
        let mut out = String::from("digraph supply_chain {\n");
        let title = match (&basis, model) {
            (Some(b), Some((m, j))) => {
                let p = &inv.products[j];
                format!(
                    "Supply chain of {} ({}): {} kg CO2e per {}\nmethodology {} {}, excluding biogenic uptake\nevery amount and contribution per declared unit ({}) of {}",
                    p.name,
                    p.id,
                    num(b.total),
                    p.unit.symbol(),
                    m.methodology.id(),
                    m.methodology.version(),
                    p.unit.symbol(),
                    p.id
                )
            }
            _ => format!(
                "Supply chain of {}\nflow amounts per reference period of the consuming process (no product chosen: no contributions)",
                inv.meta.name.clone().unwrap_or_else(|| inv.path.display().to_string())
            ),
        };
        let _ = writeln!(
            out,
            "  label=\"{}\";\n  labelloc=t;\n  labeljust=l;\n  fontname=\"Helvetica\";\n  fontsize=14;\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n  edge [fontname=\"Helvetica\", fontsize=9];",
            escape(&title)
        );
        let mut kinds: Vec<Kind> = vec![Kind::Process];
        for idx in self.graph.node_indices() {
            let (label, kind) = match self.graph[idx] {
                Node::Process(pi) => {
                    let p = &inv.processes[pi];
                    let outs: Vec<&str> =
                        p.outputs.iter().map(|o| inv.products[o.product].id.0.as_str()).collect();
                    (format!("{}\n-> {}", p.name, outs.join(", ")), Kind::Process)
                }
                Node::Purchased(pi, ii) => {
                    let inp = &inv.processes[pi].inputs[ii];
                    let kind = Kind::of(&inp.source);
                    (format!("{}\n({})", inp.name, kind.name()), kind)
                }
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
            let _ = writeln!(
                out,
                "  n{} [label=\"{}\", {}];",
                idx.index(),
                escape(&label),
                kind.attributes()
            );
        }
        let (mut any_excluded, mut any_outside) = (false, false);
        for e in self.graph.edge_indices() {
            let Some((a, b)) = self.graph.edge_endpoints(e) else { continue };
            let flow = &self.graph[e];
            let pi = match self.graph[b] {
                Node::Process(pi) => pi,
                Node::Purchased(pi, _) => pi,
            };
            let excluded = inv.processes[pi].inputs[flow.input].excluded.is_some();
            any_excluded |= excluded;
            let mut attributes = String::new();
            let label = match &basis {
                None => format!("{} {}", num(flow.amount), flow.unit),
                Some(b) if b.periods[pi] == 0.0 => {
                    any_outside = true;
                    attributes.push_str(", color=\"#bbbbbb\", fontcolor=\"#999999\"");
                    "not in this product's chain".to_string()
                }
                Some(b) => {
                    let amount = format!("{} {}", num(flow.amount * b.periods[pi]), flow.unit);
                    let c = b.contribution.get(&(pi, flow.input)).copied().unwrap_or(0.0);
                    if excluded {
                        format!("{amount}\nexcluded under cut-off")
                    } else {
                        let share = if b.total != 0.0 { 100.0 * c / b.total } else { 0.0 };
                        let width = 0.5 + 6.0 * (share.abs() / 100.0).min(1.0);
                        let _ = write!(attributes, ", penwidth={width:.2}");
                        format!("{amount}\n{} kg CO2e ({})", num(c), pct(share))
                    }
                }
            };
            if excluded {
                attributes.push_str(", style=dashed");
            }
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"{attributes}];",
                a.index(),
                b.index(),
                escape(&label)
            );
        }
        legend(&mut out, &kinds, any_excluded, basis.is_some(), any_outside);
        out.push_str("}\n");
        let _ = &self.process_nodes;
        out
    }
}

/// What a node is: the reporting company's process, or where a purchased input comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Process,
    Supplier,
    Database,
    Fuel,
    Heat,
    Electricity,
    Product,
    Precursor,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Process,
        Kind::Supplier,
        Kind::Database,
        Kind::Fuel,
        Kind::Heat,
        Kind::Electricity,
        Kind::Product,
        Kind::Precursor,
    ];

    fn of(source: &Source) -> Kind {
        match source {
            Source::Supplier(_) => Kind::Supplier,
            Source::Database(_) => Kind::Database,
            Source::Fuel(_) => Kind::Fuel,
            Source::Heat(_) => Kind::Heat,
            Source::Electricity { .. } => Kind::Electricity,
            Source::Product(_) => Kind::Product,
            Source::Precursor(_) => Kind::Precursor,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Process => "process",
            Kind::Supplier => "supplier",
            Kind::Database => "database",
            Kind::Fuel => "fuel",
            Kind::Heat => "heat",
            Kind::Electricity => "electricity",
            Kind::Product => "product",
            Kind::Precursor => "precursor",
        }
    }

    /// What the legend says it is.
    fn meaning(self) -> &'static str {
        match self {
            Kind::Process => "process of the reporting company -> the products it makes",
            Kind::Supplier => "supplier's product (its declaration)",
            Kind::Database => "database emission factor",
            Kind::Fuel => "fuel burnt",
            Kind::Heat => "purchased heat or steam",
            Kind::Electricity => "electricity",
            Kind::Product => "product of the inventory",
            Kind::Precursor => "EU CBAM precursor",
        }
    }

    /// The Graphviz shape.
    fn shape(self) -> &'static str {
        match self {
            Kind::Process | Kind::Product => "box",
            Kind::Supplier => "house",
            Kind::Database => "cylinder",
            Kind::Fuel => "octagon",
            Kind::Heat => "hexagon",
            Kind::Electricity => "parallelogram",
            Kind::Precursor => "folder",
        }
    }

    /// The shape as the legend names it.
    fn shape_name(self) -> &'static str {
        match self {
            Kind::Process => "rounded box",
            Kind::Product => "box",
            other => other.shape(),
        }
    }

    /// The fill colour.
    fn fill(self) -> &'static str {
        match self {
            Kind::Process | Kind::Product => "#dbe9f6",
            Kind::Supplier => "#fde0c5",
            Kind::Database => "#e8e8e8",
            Kind::Fuel => "#f8d0d0",
            Kind::Heat => "#f6e3b4",
            Kind::Electricity => "#fff6a8",
            Kind::Precursor => "#d9ead3",
        }
    }

    /// The DOT attributes of a node of this kind.
    fn attributes(self) -> String {
        let style = if self == Kind::Process { ", style=\"rounded,filled\"" } else { "" };
        format!("shape={}{style}, fillcolor=\"{}\"", self.shape(), self.fill())
    }
}

/// The legend, one table in its own cluster: a row per kind of node drawn (its shape named,
/// on its fill colour), then what dashes, widths and grey edges mean.
fn legend(out: &mut String, kinds: &[Kind], excluded: bool, widths: bool, outside: bool) {
    let mut rows: Vec<(String, &str)> = Kind::ALL
        .iter()
        .filter(|k| kinds.contains(*k))
        .map(|k| (format!("<td bgcolor=\"{}\">{}</td>", k.fill(), k.shape_name()), k.meaning()))
        .collect();
    if excluded {
        rows.push(("<td>- - - dashed edge</td>".into(), "input excluded under the cut-off rule"));
    }
    if widths {
        rows.push((
            "<td><b>thick</b> edge</td>".into(),
            "edge width: share of the product's footprint",
        ));
    }
    if outside {
        rows.push((
            "<td><font color=\"#999999\">grey edge</font></td>".into(),
            "not in this product's chain",
        ));
    }
    out.push_str(
        "  subgraph cluster_legend {\n    label=\"Legend\";\n    labeljust=l;\n    fontsize=11;\n    style=rounded;\n    color=\"#999999\";\n    legend [shape=plaintext, style=\"\", fontsize=9, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n",
    );
    for (key, meaning) in rows {
        let _ = writeln!(out, "      <tr>{key}<td align=\"left\">{}</td></tr>", html(meaning));
    }
    out.push_str("    </table>>];\n  }\n");
}

/// Escapes text for a DOT HTML-like label.
fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Everything on the basis of one declared unit of a product.
struct Basis {
    /// The product's footprint, kg CO2e per declared unit, excluding biogenic uptake.
    total: f64,
    /// Reference periods of each process the product's chain takes (allocated).
    periods: Vec<f64>,
    /// kg CO2e each (process, input) brings.
    contribution: HashMap<(usize, usize), f64>,
}

impl Basis {
    fn of(inv: &Inventory, m: &Model<'_>, j: usize) -> Basis {
        let mut demand = vec![0.0; inv.products.len()];
        demand[j] = 1.0;
        let supply = m.factorization.supply(&demand);
        let total = m.unit_value(j, ch::COUNTED);
        let mut contribution = HashMap::new();
        let mut periods = vec![0.0; inv.processes.len()];
        for (pi, p) in inv.processes.iter().enumerate() {
            let record = m.allocations.iter().find(|a| a.process == p.id);
            for o in &p.outputs {
                let s = supply[o.product];
                if s == 0.0 {
                    continue;
                }
                let id = &inv.products[o.product].id.0;
                let share = record
                    .and_then(|r| r.shares.iter().find(|(k, _)| k == id))
                    .map_or(1.0, |(_, x)| *x);
                periods[pi] += s * share / o.amount;
            }
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
        Basis { total, periods, contribution }
    }
}

/// Escapes text for a double-quoted DOT string: backslashes and quotes escaped, line breaks
/// as DOT's `\n` (centred lines), other control characters dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_dot_strings_closed() {
        assert_eq!(escape("a \"b\"\nc\\n\r"), "a \\\"b\\\"\\nc\\\\n");
    }
}
