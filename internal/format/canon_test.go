package format_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// canonical decodes YAML and returns it as JSON with lists of scalars and
// lists of named entries sorted, the orders fmt may change.
func canonical(t *testing.T, src string) string {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(src, "\r\n", "\n")), &v); err != nil {
		// Values that cannot be decoded (an alias bomb, say) are compared
		// by their error.
		return "error"
	}
	b, err := json.Marshal(sortAll(v))
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func sortAll(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = sortAll(e)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprintf("%T:%v", k, k)] = sortAll(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = sortAll(e)
		}
		slices.SortStableFunc(x, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return strings.Compare(string(ja), string(jb))
		})
		return x
	case time.Time:
		// An unquoted date, which fmt quotes: roster reads both as the
		// date's text.
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return v
	default:
		return v
	}
}
