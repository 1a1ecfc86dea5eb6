package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PlanMarker starts every plan comment, so the sticky comment can be found
// again and edited in place.
const PlanMarker = "<!-- roster:plan -->"

// digestsPrefix and digestsSuffix enclose the machine-readable digests at
// the very end of a plan comment.
const (
	digestsPrefix = "<!-- roster:digests "
	digestsSuffix = " -->"
)

// ErrNoDigests means a comment body carries no digest block that roster
// wrote: it is not a plan comment, or it was cut short or edited.
var ErrNoDigests = errors.New("no roster digest block at the end of the comment")

// IsPlanComment reports whether body is a plan comment written by Markdown.
// Only the start of the body counts: text from manifests never gets there.
func IsPlanComment(body string) bool {
	return strings.HasPrefix(body, PlanMarker)
}

// digestBlock returns the hidden block recording each environment's digest.
// The JSON escapes "<", ">" and "&", so the block cannot end early.
func digestBlock(digests map[string]string) (string, error) {
	if digests == nil {
		digests = map[string]string{}
	}
	b, err := json.Marshal(digests) // keys sorted, HTML characters escaped
	if err != nil {
		return "", fmt.Errorf("encode digests: %w", err)
	}
	return digestsPrefix + string(b) + digestsSuffix + "\n", nil
}

// ParseDigests reads back the digest of every environment from a plan
// comment body, as reviewed on the pull request. Only a block at the very
// end of the body is trusted: Markdown writes it last, after everything that
// came from manifests or AWS, so a copy of the marker inside a policy
// document or a name can never be the one that is read. It returns
// ErrNoDigests when the body does not end with a block.
func ParseDigests(body string) (map[string]string, error) {
	body = strings.TrimRight(body, " \t\r\n")
	i := strings.LastIndex(body, digestsPrefix)
	if i < 0 || !strings.HasSuffix(body, digestsSuffix) {
		return nil, ErrNoDigests
	}
	start, end := i+len(digestsPrefix), len(body)-len(digestsSuffix)
	if start > end {
		return nil, ErrNoDigests
	}
	var digests map[string]string
	if err := json.Unmarshal([]byte(body[start:end]), &digests); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoDigests, err)
	}
	if digests == nil {
		return nil, fmt.Errorf("%w: the digest block is empty", ErrNoDigests)
	}
	// roster writes the block in one exact form; anything else was edited.
	want, err := digestBlock(digests)
	if err != nil {
		return nil, err
	}
	if strings.TrimSuffix(want, "\n") != body[i:] {
		return nil, fmt.Errorf("%w: the digest block was edited", ErrNoDigests)
	}
	return digests, nil
}
