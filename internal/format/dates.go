package format

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// dateRE is a date or time as the contract writes it: expires (a date or
// an RFC 3339 time), a policy's Version.
var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$`)

// quoteDates puts double quotes around every plain scalar that YAML
// resolves to a date or time (expires: 2027-03-31, expires:
// 2026-12-03T18:00:00Z, Version: 2012-10-17).
// roster reads both forms as the same string, but most YAML parsers, and
// so the editors and validators that check files against the JSON
// Schemas, read an unquoted date as a timestamp, which no schema field
// is. Only those scalars' text changes; a file that does not parse is
// returned unchanged for the caller's parse to report.
func quoteDates(src []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return src, nil
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	var dates []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Style == 0 && n.ShortTag() == "!!timestamp" && dateRE.MatchString(n.Value) {
			dates = append(dates, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if len(dates) == 0 {
		return src, nil
	}
	// Last first, so the columns of the dates still to quote stay right.
	slices.SortFunc(dates, func(a, b *yaml.Node) int { return cmp.Or(cmp.Compare(b.Line, a.Line), cmp.Compare(b.Column, a.Column)) })
	lines := strings.Split(string(src), "\n")
	for _, n := range dates {
		line := lines[n.Line-1]
		at := n.Column - 1
		if at+len(n.Value) > len(line) || line[at:at+len(n.Value)] != n.Value {
			continue // not written as its value on one line: leave it
		}
		lines[n.Line-1] = line[:at] + `"` + n.Value + `"` + line[at+len(n.Value):]
	}
	return []byte(strings.Join(lines, "\n")), nil
}
