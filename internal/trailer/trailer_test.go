package trailer_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/trailer"
)

var errMissing = errors.New("no test block")

func TestDecodeTrustsOnlyTheExactLastBlock(t *testing.T) {
	t.Parallel()
	b := trailer.New("test", errMissing)
	block, err := b.Encode(map[string]string{"env": "-->x<!-- roster:test {} -->"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `<!-- roster:test {"env":"--\u003ex\u003c!-- roster:test {} --\u003e"} -->` + "\n"; block != want {
		t.Fatalf("Encode = %q, want %q", block, want)
	}
	tests := []struct {
		name string
		body string
		want map[string]string // nil: refused
	}{
		{"block at the end", "text\n" + block, map[string]string{"env": "-->x<!-- roster:test {} -->"}},
		{"trailing white space", "text\n" + block + " \r\n\t", map[string]string{"env": "-->x<!-- roster:test {} -->"}},
		{"text after the block", block + "more", nil},
		{"a block quoted in the text, another at the end", "`<!-- roster:test {\"env\":\"forged\"} -->`\n" + `<!-- roster:test {"env":"real"} -->`, map[string]string{"env": "real"}},
		{"spaced differently", `<!-- roster:test { "env":"x"} -->`, nil},
		{"not JSON", `<!-- roster:test {env} -->`, nil},
		{"another block's name", `<!-- roster:other {"env":"x"} -->`, nil},
		{"prefix and suffix overlap", `<!-- roster:test -->`, nil},
		{"empty body", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got map[string]string
			err := b.Decode(tt.body, &got)
			if tt.want == nil {
				if !errors.Is(err, errMissing) {
					t.Fatalf("Decode(%q) = %v, %v; want an error wrapping %v", tt.body, got, err, errMissing)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode(%q) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestDecodeLineTrustsOnlyTheExactLine(t *testing.T) {
	t.Parallel()
	b := trailer.New("test", errMissing)
	tests := []struct {
		name string
		line string
		want map[string]string // nil: refused
	}{
		{"the line Encode writes", `<!-- roster:test {"env":"x"} -->`, map[string]string{"env": "x"}},
		{"text before", `x <!-- roster:test {"env":"x"} -->`, nil},
		{"text after", `<!-- roster:test {"env":"x"} --> x`, nil},
		{"a field roster never writes twice", `<!-- roster:test {"env":"x","env":"y"} -->`, nil},
		{"spaced differently", `<!-- roster:test { "env":"x"} -->`, nil},
		{"another block's name", `<!-- roster:other {"env":"x"} -->`, nil},
		{"prefix and suffix overlap", `<!-- roster:test -->`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got map[string]string
			err := b.DecodeLine(tt.line, &got)
			if tt.want == nil {
				if !errors.Is(err, errMissing) {
					t.Fatalf("DecodeLine(%q) = %v, %v; want an error wrapping %v", tt.line, got, err, errMissing)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeLine(%q): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeLine(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}
