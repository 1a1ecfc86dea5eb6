package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
)

// maxNodeVisits bounds the work one file may cause through YAML aliases, so
// a small file of nested aliases ("billion laughs") cannot stall the loader.
const maxNodeVisits = 1_000_000

// decoder reads one YAML file's node tree strictly, reporting every problem
// with the file, line and column of the offending node.
type decoder struct {
	file   string
	diags  *diag.List
	visits int
	// exhausted is set once the alias budget ran out; nothing more is
	// reported for the file.
	exhausted bool
}

func (d *decoder) pos(n *yaml.Node) diag.Pos {
	if n == nil {
		return diag.Pos{File: d.file, Line: 1}
	}
	return diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, rule, hint, format string, args ...any) {
	if d.exhausted {
		return
	}
	d.diags.Errorf(d.pos(n), rule, hint, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, rule, hint, format string, args ...any) {
	if d.exhausted {
		return
	}
	d.diags.Warnf(d.pos(n), rule, hint, format, args...)
}

// node follows aliases and counts the visit against the file's budget. It
// returns nil when the budget is spent.
func (d *decoder) node(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 100 {
			d.errorf(n, ruleYAMLSyntax, "", "alias *%s does not point to an anchor", n.Value)
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	d.visits++
	if d.visits > maxNodeVisits {
		if !d.exhausted {
			d.diags.Errorf(d.pos(n), ruleYAMLAliases, "write the values out instead of nesting aliases",
				"file expands to more than %d values through aliases", maxNodeVisits)
			d.exhausted = true
		}
		return nil
	}
	return n
}

// set returns the entry of field name when f sets it: present and not null.
func set(f map[string]entry, name string) (entry, bool) {
	e, ok := f[name]
	return e, ok && !isNull(e.val)
}

// typed reads the value of field name with get (the decoder's str, boolean
// or integer) when f sets it. val is the field's value node, nil when f
// does not set the field; ok is false when it does not, or when get refused
// the value (get reports why).
func typed[T any](f map[string]entry, name string, get func(*yaml.Node, string) (T, bool)) (v T, val *yaml.Node, ok bool) {
	e, has := set(f, name)
	if !has {
		return v, nil, false
	}
	v, ok = get(e.val, name)
	return v, e.val, ok
}

// optional returns the value of field name as typed reads it, or nil when
// f does not set the field or its value was refused.
func optional[T any](f map[string]entry, name string, get func(*yaml.Node, string) (T, bool)) *T {
	v, _, ok := typed(f, name, get)
	if !ok {
		return nil
	}
	return &v
}

// isNull reports whether n is an empty value ("key:" with nothing after it,
// "~" or "null"), which the loader treats like an absent key.
func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// kindName names a node's type the way a user would say it.
func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "an empty value"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + n.Tag
}

// entry is one key and value of a mapping.
type entry struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

// fields checks that n is a mapping whose keys are all in known, reporting
// unknown and duplicate keys, and returns the entries by key. A null node is
// an empty mapping. ok is false when n is not a mapping at all.
func (d *decoder) fields(n *yaml.Node, what string, known []string, unknownHint func(string) string) (map[string]entry, bool) {
	m, ok := d.mapping(n, what)
	if !ok {
		return nil, false
	}
	out := make(map[string]entry, len(m))
	for _, e := range m {
		if !slices.Contains(known, e.name) {
			hint := ""
			if unknownHint != nil {
				hint = unknownHint(e.name)
			}
			if hint == "" {
				hint = suggest(e.name, known)
			}
			d.errorf(e.key, ruleUnknownField, hint, "unknown field %q in %s", e.name, what)
			continue
		}
		out[e.name] = e
	}
	return out, true
}

// collection resolves the node of a mapping or a list (see node). Null is an
// empty collection: no node, and true; false means n could not be resolved.
func (d *decoder) collection(n *yaml.Node) (*yaml.Node, bool) {
	n = d.node(n)
	if n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true
	}
	return n, true
}

// mapping returns the entries of a mapping in document order, reporting
// duplicate keys, merge keys and keys that are not scalars. A null node is
// an empty mapping.
func (d *decoder) mapping(n *yaml.Node, what string) ([]entry, bool) {
	n, ok := d.collection(n)
	if n == nil {
		return nil, ok
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, ruleType, "", "%s must be a mapping, got %s", what, kindName(n))
		return nil, false
	}
	out := make([]entry, 0, len(n.Content)/2)
	var seen keyIndex
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.node(n.Content[i])
		v := n.Content[i+1]
		if k == nil {
			return out, true
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, ruleType, "", "keys in %s must be strings, got %s", what, kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errorf(k, ruleYAMLMerge, "write the keys out; roster does not expand merge keys", "merge keys (<<) are not supported")
			continue
		}
		if first := seen.find(out, k.Value); first != nil {
			d.errorf(k, ruleDuplicateKey, "remove one of them", "duplicate key %q in %s (first at line %d)", k.Value, what, first.key.Line)
			continue
		}
		out = append(out, entry{name: k.Value, key: k, val: v})
		seen.add(out)
	}
	return out, true
}

// keyIndex finds the keys of a mapping read so far. Mappings in manifests
// hold a handful of keys, where a scan beats building a map for each one
// (a user entry, its tags); past scanKeys keys it indexes them, so a
// mapping of thousands of keys costs no quadratic scan.
type keyIndex map[string]int

// scanKeys is the most keys a mapping is scanned for rather than indexed.
const scanKeys = 16

// add records the last entry of m.
func (x *keyIndex) add(m []entry) {
	switch {
	case len(m) < scanKeys:
	case *x == nil:
		*x = make(keyIndex, 2*len(m))
		for i, e := range m {
			(*x)[e.name] = i
		}
	default:
		(*x)[m[len(m)-1].name] = len(m) - 1
	}
}

// find returns the entry of m named name, or nil.
func (x keyIndex) find(m []entry, name string) *entry {
	if x != nil {
		if i, ok := x[name]; ok {
			return &m[i]
		}
		return nil
	}
	for i := range m {
		if m[i].name == name {
			return &m[i]
		}
	}
	return nil
}

// list returns the items of a sequence; a null node is an empty list.
func (d *decoder) list(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n, ok := d.collection(n)
	if n == nil {
		return nil, ok
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("write a list, for example %s: [%s]", what, n.Value)
		}
		d.errorf(n, ruleType, hint, "%s must be a list, got %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}

// str returns a string scalar. Numbers, booleans and dates are errors, with
// a hint to quote them.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	n = d.node(n)
	if n == nil {
		return "", false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		hint = fmt.Sprintf("quote the value: %q", n.Value)
	}
	d.errorf(n, ruleType, hint, "%s must be a string, got %s", what, kindName(n))
	return "", false
}

// boolean returns a boolean scalar.
func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	n = d.node(n)
	if n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	d.errorf(n, ruleType, "use true or false", "%s must be a boolean, got %s", what, kindName(n))
	return false, false
}

// integer returns an integer scalar.
func (d *decoder) integer(n *yaml.Node, what string) (int, bool) {
	n = d.node(n)
	if n == nil {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var i int
		if err := n.Decode(&i); err == nil {
			return i, true
		}
		d.errorf(n, ruleType, "", "%s is out of range: %s", what, n.Value)
		return 0, false
	}
	d.errorf(n, ruleType, "", "%s must be an integer, got %s", what, kindName(n))
	return 0, false
}

// ref is a string from a manifest with its position.
type ref struct {
	val string
	pos diag.Pos
}

// strList returns a list of strings; bad items are reported and skipped.
func (d *decoder) strList(n *yaml.Node, what string) []ref {
	items, _ := d.list(n, what)
	var out []ref
	for _, it := range items {
		s, ok := d.str(it, what+" entry")
		if !ok {
			continue
		}
		out = append(out, ref{val: s, pos: d.pos(d.node(it))})
	}
	return out
}

// kv is a string-to-string mapping entry with positions.
type kv struct {
	key, val       string
	keyPos, valPos diag.Pos
}

// strMap returns a mapping of strings to strings.
func (d *decoder) strMap(n *yaml.Node, what string) []kv {
	m, _ := d.mapping(n, what)
	var out []kv
	for _, e := range m {
		if e.key.ShortTag() != "!!str" {
			d.errorf(e.key, ruleType, fmt.Sprintf("quote the key: %q", e.name), "keys in %s must be strings, got %s", what, kindName(e.key))
			continue
		}
		v, ok := d.str(e.val, fmt.Sprintf("%s value of %q", what, e.name))
		if !ok {
			continue
		}
		out = append(out, kv{key: e.name, val: v, keyPos: d.pos(e.key), valPos: d.pos(d.node(e.val))})
	}
	return out
}

// value converts a node into the Go values package policy expects: maps
// with string keys, slices, strings, ints, floats, bools and nil. Dates stay
// the strings they were written as.
func (d *decoder) value(n *yaml.Node, what string) (any, bool) {
	n = d.node(n)
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m, _ := d.mapping(n, what)
		out := make(map[string]any, len(m))
		ok := true
		for _, e := range m {
			v, vok := d.value(e.val, what)
			ok = ok && vok
			out[e.name] = v
		}
		return out, ok
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for _, c := range n.Content {
			v, vok := d.value(c, what)
			ok = ok && vok
			out = append(out, v)
		}
		return out, ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp":
			return n.Value, true
		case "!!null":
			return nil, true
		case "!!int", "!!float", "!!bool":
			var v any
			if err := n.Decode(&v); err != nil {
				d.errorf(n, ruleType, "", "%s: cannot read %s: %v", what, n.Value, err)
				return nil, false
			}
			return v, true
		}
	default:
	}
	d.errorf(n, ruleType, "", "%s cannot hold %s", what, kindName(n))
	return nil, false
}

// problemNode maps a policy.Problem path ("Statement[1].Effect") to the
// node it names: the key of a mapping entry, or a list item. It returns the
// deepest node it can find, or nil for the whole document.
func problemNode(d *decoder, doc *yaml.Node, p string) *yaml.Node {
	if p == "" {
		return nil
	}
	var at *yaml.Node
	cur := doc
	for _, seg := range strings.Split(p, ".") {
		name, idx := seg, -1
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			n, err := strconv.Atoi(seg[i+1 : len(seg)-1])
			if err != nil {
				return at
			}
			name, idx = seg[:i], n
		}
		cur = d.node(cur)
		if cur == nil || cur.Kind != yaml.MappingNode {
			return at
		}
		var val *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if k := d.node(cur.Content[i]); k != nil && k.Value == name {
				at, val = k, cur.Content[i+1]
				break
			}
		}
		if val == nil {
			return at
		}
		cur = val
		if idx >= 0 {
			cur = d.node(cur)
			if cur == nil || cur.Kind != yaml.SequenceNode || idx >= len(cur.Content) {
				return at
			}
			cur = d.node(cur.Content[idx])
			at = cur
		}
	}
	return at
}

// lineRE finds the line in a yaml.v3 error message.
var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse decodes data into its single document's root node. It returns nil
// for an empty document. Syntax errors, non-UTF-8 text, control characters
// and extra documents are reported.
func (d *decoder) parse(data []byte) (root *yaml.Node, ok bool) {
	if !utf8.Valid(data) {
		line, col := badUTF8(data)
		d.diags.Errorf(diag.Pos{File: d.file, Line: line, Col: col}, ruleEncoding, "save the file as UTF-8",
			"file is not valid UTF-8")
		return nil, false
	}
	if line, col, r, bad := controlChar(data); bad {
		d.diags.Errorf(diag.Pos{File: d.file, Line: line, Col: col}, ruleEncoding, "remove the character",
			"file contains the control character %U, which YAML does not allow", r)
		return nil, false
	}
	defer func() {
		if p := recover(); p != nil {
			d.diags.Errorf(diag.Pos{File: d.file, Line: 1}, ruleYAMLSyntax, "", "cannot parse YAML: %v", p)
			root, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		d.syntaxError(data, err)
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.diags.Errorf(diag.Pos{File: d.file, Line: next.Line, Col: next.Column}, ruleYAMLMultiDoc,
			"put each document in a file of its own", "file holds more than one YAML document")
		return nil, false
	case errors.Is(err, io.EOF):
	default:
		d.syntaxError(data, err)
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	r := doc.Content[0]
	if isNull(r) && r.Kind == yaml.ScalarNode {
		return nil, true
	}
	return r, true
}

// syntaxError reports a YAML syntax error at its line. yaml.v3 names the
// line where the enclosing block starts, or no line at all; the shortest
// prefix of the file that fails with the same error gives the line of the
// problem itself.
func (d *decoder) syntaxError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	context := 0
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		context, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	line := errorLine(data, err.Error())
	if line == 0 {
		line = max(context, 1)
	}
	if context > 0 && context < line {
		msg += fmt.Sprintf(" (in the block that starts on line %d)", context)
	}
	col, hint := syntaxHint(data, line, msg)
	d.diags.Errorf(diag.Pos{File: d.file, Line: line, Col: col}, ruleYAMLSyntax, hint, "YAML syntax error: %s", msg)
}

// syntaxHint returns the column of a syntax error on its line (1-based) and
// what to do about it. yaml.v3 gives no column: the column is where the
// problem's own character is on the line (the second ": ", a tab), else the
// line's first character.
func syntaxHint(data []byte, line int, msg string) (int, string) {
	lines := strings.Split(string(data), "\n")
	text := ""
	if line >= 1 && line <= len(lines) {
		text = strings.TrimSuffix(lines[line-1], "\r")
	}
	col := len(text) - len(strings.TrimLeft(text, " ")) + 1
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		if first := strings.Index(text, ": "); first >= 0 {
			if second := strings.Index(text[first+2:], ": "); second >= 0 {
				col = first + 2 + second + 1
			}
		}
		return col, "a value that contains \": \" must be in quotes, or this line is indented deeper than the key above it"
	case (strings.Contains(msg, "tab character") || strings.Contains(msg, "cannot start any token")) && strings.Contains(text, "\t"):
		return strings.Index(text, "\t") + 1, "YAML indents with spaces, not tabs: replace the tab with spaces"
	case strings.Contains(msg, "expected '-' indicator"):
		return col, "list items line up: indent this line like the \"- \" items above it"
	case strings.Contains(msg, "expected key"):
		return col, "keys of one mapping line up: indent this line like the keys above it"
	case strings.Contains(msg, "end of stream"), strings.Contains(msg, "expected ',' or"):
		return col, "a bracket or quote opened above is not closed"
	default:
		return col, "check this line's indentation against the lines above, and quote values that contain \": \" or \" #\""
	}
}

// errorLine returns the first line whose prefix of the file fails to parse
// with the message want, by bisection; 0 when none does.
func errorLine(data []byte, want string) int {
	var ends []int
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(data[:ends[k]]))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			return !errors.Is(err, io.EOF) && err.Error() == want
		}
	}
	lo, hi := 0, len(ends)-1
	if !fails(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo + 1
}

// badUTF8 returns the line and column of the first invalid UTF-8 byte.
func badUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}

// controlChar finds the first character YAML does not allow in a stream
// (YAML 1.2, section 5.1).
func controlChar(data []byte) (line, col int, r rune, found bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, size := rune(data[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(data[i:])
		}
		i += size
		printable := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7e) || r == 0x85 ||
			(r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || (r >= 0x10000 && r <= 0x10ffff)
		if !printable {
			return line, col, r, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return 0, 0, 0, false
}

// suggest returns a "did you mean" hint for a misspelled key, or a list of
// the keys allowed.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := levenshtein(strings.ToLower(name), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "allowed fields: " + strings.Join(known, ", ")
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
