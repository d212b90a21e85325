//! Files compiled into pcf (methodologies, datasets): the live version of each id, named
//! `<id>.toml`, and the released versions kept in the archive, named `<id>@<version>.toml`.

/// The origin of a live shipped file.
pub(crate) const LIVE_ORIGIN: &str = "shipped";

/// The origin of an archived shipped file (an older released version).
pub(crate) const ARCHIVED_ORIGIN: &str = "archived";

/// A compiled-in file: its name and text.
pub(crate) type File = (&'static str, &'static str);

/// The (name, text, origin) of every file of `id`, the live one first, chosen by file name
/// (callers still check the parsed id).
pub(crate) fn files_of<'a>(
    id: &'a str,
    live: &'static [File],
    archived: &'static [File],
) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> + 'a {
    let live = live
        .iter()
        .filter(move |(name, _)| name.strip_suffix(".toml") == Some(id))
        .map(|&(name, text)| (name, text, LIVE_ORIGIN));
    let archived = archived
        .iter()
        .filter(move |(name, _)| name.split_once('@').map(|(stem, _)| stem) == Some(id))
        .map(|&(name, text)| (name, text, ARCHIVED_ORIGIN));
    live.chain(archived)
}
