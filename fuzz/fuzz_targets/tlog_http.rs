//! The transparency log's HTTP inputs: a witness's `add-checkpoint` request body, a tile path
//! and a status list's `encodedList` never panic; what parses prints back to the same text.
#![no_main]

use pcf::exchange::tiles::Tile;
use pcf::register::status_list::decode_list;
use pcf::witness::AddCheckpoint;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(request) = AddCheckpoint::parse(&text) {
        assert_eq!(AddCheckpoint::parse(&request.to_text()).ok(), Some(request));
    }
    if let Some(tile) = Tile::parse(&text) {
        assert_eq!(tile.path(), text, "a tile has one path");
        let size = data.iter().fold(0u64, |n, b| n.rotate_left(8) ^ u64::from(*b));
        let _ = tile.within(size);
    }
    let _ = decode_list(&text);
});
