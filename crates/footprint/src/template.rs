//! Inventory templates for `pcf init`: commented TOML skeletons for common situations, each
//! valid as written (tests compute every one), kept as files in `templates/` and compiled in.

/// A template: its name, what it is for, and its text.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// The name `pcf init --template` takes.
    pub name: &'static str,
    /// What situation it fits.
    pub about: &'static str,
    /// The methodology its figures are meant for.
    pub methodology: &'static str,
    /// The TOML text.
    pub text: &'static str,
}

/// The templates shipped.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "manufactured-part",
        about: "a part made from bought material with fuel, grid electricity, packaging and scrap (PACT footprint)",
        methodology: "pact-3.0",
        text: include_str!("../../../templates/manufactured-part.toml"),
    },
    Template {
        name: "cbam-good",
        about: "a CBAM good from a precursor, fuel and electricity (EU CBAM embedded emissions)",
        methodology: "eu-cbam-2026",
        text: include_str!("../../../templates/cbam-good.toml"),
    },
];

/// A template by name.
pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}
