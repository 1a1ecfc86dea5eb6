package drift

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/trailer"
)

// State is what one run remembers about an environment's findings for the
// next: the fingerprint and the finding IDs. A drift issue carries it in a
// hidden block at the end of its body.
type State struct {
	Environment string `json:"environment"`
	Fingerprint string `json:"fingerprint"`
	// Findings are the finding IDs, sorted; empty in a compact state.
	Findings []string `json:"findings"`
	// Hashes stands in for Findings in a compact state, so that thousands
	// of findings still fit in an issue body: the first hashLen bytes of
	// each ID's SHA-256, sorted, concatenated and base64-encoded. A compact
	// state without hashes remembers only the fingerprint.
	Hashes  string `json:"hashes,omitempty"`
	Compact bool   `json:"compact,omitempty"`
}

// hashLen is the length of an ID's hash in a compact state: 48 bits keep
// collisions out of reach for any number of findings an account can have.
const hashLen = 6

// StateOf is the state a report leaves for the next run.
func StateOf(r *Report) *State {
	ids := r.IDs()
	return &State{Environment: r.Environment, Fingerprint: Fingerprint(ids), Findings: slices.Compact(ids)}
}

// Compacted returns the state with hashed IDs instead of the IDs. Compare
// still tells added from resolved findings, but can only count resolved
// ones, not name them.
func (s *State) Compacted() *State {
	if s.Compact {
		return s
	}
	hashes := make([]string, len(s.Findings))
	for i, id := range s.Findings {
		hashes[i] = hashID(id)
	}
	slices.Sort(hashes)
	return &State{
		Environment: s.Environment, Fingerprint: s.Fingerprint, Findings: []string{}, Compact: true,
		Hashes: base64.StdEncoding.EncodeToString([]byte(strings.Join(slices.Compact(hashes), ""))),
	}
}

// FingerprintOnly returns the state with nothing but its fingerprint, for
// an issue body too short to hold even the hashes. Compare then knows
// whether the findings changed, not which.
func (s *State) FingerprintOnly() *State {
	return &State{Environment: s.Environment, Fingerprint: s.Fingerprint, Findings: []string{}, Compact: true}
}

// hashID is an ID's stand-in in a compact state: hashLen raw bytes.
func hashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:hashLen])
}

// hashes returns the set of hashed IDs of a compact state.
func (s *State) hashes() (map[string]bool, error) {
	raw, err := base64.StdEncoding.DecodeString(s.Hashes)
	if err != nil {
		return nil, err
	}
	if len(raw)%hashLen != 0 {
		return nil, fmt.Errorf("hashes are %d bytes, not a multiple of %d", len(raw), hashLen)
	}
	set := make(map[string]bool, len(raw)/hashLen)
	for i := 0; i < len(raw); i += hashLen {
		set[string(raw[i:i+hashLen])] = true
	}
	return set, nil
}

// ErrNoState means a body carries no drift state block that roster wrote:
// it is not a drift issue, or the block was cut or edited.
var ErrNoState = errors.New("no roster drift state block at the end of the body")

// stateBlock is the hidden block that ends a drift issue body.
var stateBlock = trailer.New("drift-state", ErrNoState)

// EncodeState returns the hidden block that records s, one line ending in a
// newline, to be written last in a drift issue body (see package trailer).
func EncodeState(s *State) (string, error) {
	if s == nil {
		s = &State{}
	}
	c := *s
	if c.Findings == nil {
		c.Findings = []string{}
	}
	block, err := stateBlock.Encode(c)
	if err != nil {
		return "", fmt.Errorf("encode drift state: %w", err)
	}
	return block, nil
}

// DecodeState reads the state back from a drift issue body. Only a block at
// the very end is trusted (it is written after everything that came from
// manifests or AWS), and only in the exact form EncodeState writes with a
// fingerprint that matches its IDs; anything else is ErrNoState, and the
// caller should treat every current finding as new.
func DecodeState(body string) (*State, error) {
	var s State
	if err := stateBlock.Decode(body, &s); err != nil {
		return nil, err
	}
	if s.Findings == nil {
		return nil, fmt.Errorf("%w: the block lists no findings", ErrNoState)
	}
	if !s.Compact && s.Fingerprint != Fingerprint(s.Findings) {
		return nil, fmt.Errorf("%w: the fingerprint does not match the findings", ErrNoState)
	}
	if s.Compact {
		if _, err := s.hashes(); err != nil || len(s.Findings) > 0 {
			return nil, fmt.Errorf("%w: the compact state is malformed", ErrNoState)
		}
	}
	return &s, nil
}

// Delta is what changed between two runs.
type Delta struct {
	// Added are the current findings the previous run did not have, most
	// severe first.
	Added []Finding
	// Resolved are the IDs of the previous run's findings that are gone,
	// sorted.
	Resolved []string
	// ResolvedUnnamed counts resolved findings of a compact previous state,
	// whose IDs are not known.
	ResolvedUnnamed int
	// Unknown is set when the previous state kept only its fingerprint and
	// the findings changed: which ones were added or resolved is not known.
	Unknown bool
}

// Changed reports whether any finding appeared or went away.
func (d Delta) Changed() bool {
	return len(d.Added) > 0 || len(d.Resolved) > 0 || d.ResolvedUnnamed > 0 || d.Unknown
}

// ResolvedCount is the number of resolved findings, named or not.
func (d Delta) ResolvedCount() int { return len(d.Resolved) + d.ResolvedUnnamed }

// Compare lists the findings cur added and resolved since prev. A nil prev
// (no earlier run, or an unreadable state) makes every finding new.
func Compare(prev *State, cur *Report) Delta {
	if cur == nil {
		cur = &Report{}
	}
	var d Delta
	key := func(id string) string { return id }
	before := map[string]bool{}
	switch {
	case prev == nil:
	case !prev.Compact:
		for _, id := range prev.Findings {
			before[id] = true
		}
	case prev.Hashes == "" && prev.Fingerprint != Fingerprint(nil):
		// Only the fingerprint is known.
		if prev.Fingerprint != Fingerprint(cur.IDs()) {
			d.Unknown = true
		}
		return d
	default:
		set, err := prev.hashes()
		if err == nil {
			before = set
		}
		key = hashID
	}
	now := map[string]bool{}
	for _, f := range cur.Findings {
		k := key(f.ID)
		now[k] = true
		if !before[k] {
			d.Added = append(d.Added, f)
		}
	}
	for k := range before {
		if now[k] {
			continue
		}
		if prev.Compact {
			d.ResolvedUnnamed++
		} else {
			d.Resolved = append(d.Resolved, k)
		}
	}
	slices.Sort(d.Resolved)
	return d
}

// ParseID splits a finding ID into its kind, subject kind and subject, and
// the rest (the attribute, if any), for listing findings known only by ID.
func ParseID(id string) (kind Kind, subjectKind, subject, rest string) {
	parts := strings.SplitN(id, "/", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	return Kind(parts[0]), parts[1], parts[2], parts[3]
}
