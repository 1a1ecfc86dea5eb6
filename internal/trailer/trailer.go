package trailer

import (
	"encoding/json"
	"fmt"
	"strings"
)

const suffix = " -->"

// Block is one kind of trailer, such as a plan comment's digests.
type Block struct {
	prefix string
	// missing is what Decode returns (wrapped) for a body that does not end
	// with the block as Encode writes it.
	missing error
}

// New returns the block named name ("digests" gives "<!-- roster:digests
// {...} -->"); Decode's errors wrap missing.
func New(name string, missing error) Block {
	return Block{prefix: "<!-- roster:" + name + " ", missing: missing}
}

// Encode returns the block holding v's JSON, one line ending in a newline.
// encoding/json escapes "<", ">" and "&", so nothing in v can end the
// comment early.
func (b Block) Encode(v any) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return b.prefix + string(j) + suffix + "\n", nil
}

// Decode reads v from the block that ends body. Only a block at the very end
// (trailing white space aside) is read, and only in the exact form Encode
// writes for what it holds; otherwise the error wraps the block's missing
// error.
func (b Block) Decode(body string, v any) error {
	body = strings.TrimRight(body, " \t\r\n")
	i := strings.LastIndex(body, b.prefix)
	if i < 0 {
		return b.missing
	}
	return b.DecodeLine(body[i:], v)
}

// DecodeLine reads v from line, the block alone on a line of its own (an
// apply report keeps its record right under its marker), in the exact form
// Encode writes; otherwise the error wraps the block's missing error.
func (b Block) DecodeLine(line string, v any) error {
	raw, ok := strings.CutPrefix(line, b.prefix)
	if ok {
		raw, ok = strings.CutSuffix(raw, suffix)
	}
	if !ok {
		return b.missing
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("%w: %w", b.missing, err)
	}
	// roster writes the block in one exact form; anything else was edited.
	want, err := b.Encode(v)
	if err != nil {
		return err
	}
	if want != line+"\n" {
		return fmt.Errorf("%w: the block was edited", b.missing)
	}
	return nil
}
