package render

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/trailer"
)

// PlanMarker starts every plan comment, so the sticky comment can be found
// again and edited in place.
const PlanMarker = "<!-- roster:plan -->"

// ErrNoDigests means a comment body carries no digest block that roster
// wrote: it is not a plan comment, or it was cut short or edited.
var ErrNoDigests = errors.New("no roster digest block at the end of the comment")

// digestsBlock holds the machine-readable digests at the very end of a plan
// comment.
var digestsBlock = trailer.New("digests", ErrNoDigests)

// IsPlanComment reports whether body is a plan comment written by Markdown.
// Only the start of the body counts: text from manifests never gets there.
func IsPlanComment(body string) bool {
	return strings.HasPrefix(body, PlanMarker)
}

// digestBlock returns the hidden block recording each environment's digest
// (see package trailer).
func digestBlock(digests map[string]string) (string, error) {
	if digests == nil {
		digests = map[string]string{}
	}
	block, err := digestsBlock.Encode(digests) // keys sorted, HTML characters escaped
	if err != nil {
		return "", fmt.Errorf("encode digests: %w", err)
	}
	return block, nil
}

// ParseDigests reads back the digest of every environment from a plan
// comment body, as reviewed on the pull request. Only a block at the very
// end of the body is trusted: Markdown writes it last, after everything that
// came from manifests or AWS, so a copy of the marker inside a policy
// document or a name can never be the one that is read. It returns
// ErrNoDigests when the body does not end with a block.
func ParseDigests(body string) (map[string]string, error) {
	var digests map[string]string
	if err := digestsBlock.Decode(body, &digests); err != nil {
		return nil, err
	}
	if digests == nil {
		return nil, fmt.Errorf("%w: the digest block is empty", ErrNoDigests)
	}
	return digests, nil
}
