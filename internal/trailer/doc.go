// Package trailer is the one home of the hidden JSON block that ends a
// Markdown body roster writes (a plan comment's digests, a drift issue's
// state): an HTML comment "<!-- roster:NAME {...} -->" on the body's last
// line (or, for an apply report's record, on the line right under its
// marker: DecodeLine). A body holds text from manifests and AWS before it,
// so only a block at the very end (or that one line), in the exact form
// Encode writes, is ever read back; a copy of the marker inside a name or a
// policy document, or a block someone edited, is refused.
package trailer
