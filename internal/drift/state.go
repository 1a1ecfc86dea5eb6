package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// State is what one run remembers about an environment's findings for the
// next: the fingerprint and the finding IDs. A drift issue carries it in a
// hidden block at the end of its body.
type State struct {
	Environment string `json:"environment"`
	Fingerprint string `json:"fingerprint"`
	// Findings are the finding IDs, sorted. In a compact state each is
	// HashID of the ID instead, so that thousands of findings still fit in
	// an issue body.
	Findings []string `json:"findings"`
	Compact  bool     `json:"compact,omitempty"`
}

// StateOf is the state a report leaves for the next run.
func StateOf(r *Report) *State {
	ids := r.IDs()
	return &State{Environment: r.Environment, Fingerprint: Fingerprint(ids), Findings: slices.Compact(ids)}
}

// Compacted returns the state with hashed IDs (a compact state is returned
// as it is). Compare still tells added from resolved findings, but can only
// count resolved ones, not name them.
func (s *State) Compacted() *State {
	if s.Compact {
		return s
	}
	c := &State{Environment: s.Environment, Fingerprint: s.Fingerprint, Compact: true, Findings: make([]string, len(s.Findings))}
	for i, id := range s.Findings {
		c.Findings[i] = HashID(id)
	}
	slices.Sort(c.Findings)
	return c
}

// HashID is a finding ID's short stand-in in a compact state: "h:" and the
// first 16 hex digits of its SHA-256.
func HashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return "h:" + hex.EncodeToString(h[:8])
}

// The state block ends a drift issue body.
const (
	statePrefix = "<!-- roster:drift-state "
	stateSuffix = " -->"
)

// ErrNoState means a body carries no drift state block that roster wrote:
// it is not a drift issue, or the block was cut or edited.
var ErrNoState = errors.New("no roster drift state block at the end of the body")

// EncodeState returns the hidden block that records s, one line ending in a
// newline, to be written last in a drift issue body. The JSON inside escapes
// "<", ">" and "&", so no finding ID can end the comment early.
func EncodeState(s *State) (string, error) {
	if s == nil {
		s = &State{}
	}
	c := *s
	if c.Findings == nil {
		c.Findings = []string{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode drift state: %w", err)
	}
	return statePrefix + string(b) + stateSuffix + "\n", nil
}

// DecodeState reads the state back from a drift issue body. Only a block at
// the very end is trusted (it is written after everything that came from
// manifests or AWS), and only in the exact form EncodeState writes with a
// fingerprint that matches its IDs; anything else is ErrNoState, and the
// caller should treat every current finding as new.
func DecodeState(body string) (*State, error) {
	body = strings.TrimRight(body, " \t\r\n")
	i := strings.LastIndex(body, statePrefix)
	if i < 0 || !strings.HasSuffix(body, stateSuffix) {
		return nil, ErrNoState
	}
	start, end := i+len(statePrefix), len(body)-len(stateSuffix)
	if start > end {
		return nil, ErrNoState
	}
	var s State
	if err := json.Unmarshal([]byte(body[start:end]), &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoState, err)
	}
	if s.Findings == nil {
		return nil, fmt.Errorf("%w: the block lists no findings", ErrNoState)
	}
	want, err := EncodeState(&s)
	if err != nil {
		return nil, err
	}
	if strings.TrimSuffix(want, "\n") != body[i:] {
		return nil, fmt.Errorf("%w: the block was edited", ErrNoState)
	}
	if !s.Compact && s.Fingerprint != Fingerprint(s.Findings) {
		return nil, fmt.Errorf("%w: the fingerprint does not match the findings", ErrNoState)
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
}

// Changed reports whether any finding appeared or went away.
func (d Delta) Changed() bool {
	return len(d.Added) > 0 || len(d.Resolved) > 0 || d.ResolvedUnnamed > 0
}

// ResolvedCount is the number of resolved findings, named or not.
func (d Delta) ResolvedCount() int { return len(d.Resolved) + d.ResolvedUnnamed }

// Compare lists the findings cur added and resolved since prev. A nil prev
// (no earlier run, or an unreadable state) makes every finding new.
func Compare(prev *State, cur *Report) Delta {
	var d Delta
	key := func(id string) string { return id }
	if prev != nil && prev.Compact {
		key = HashID
	}
	before := map[string]bool{}
	if prev != nil {
		for _, id := range prev.Findings {
			before[id] = true
		}
	}
	now := map[string]bool{}
	if cur != nil {
		for _, f := range cur.Findings {
			k := key(f.ID)
			now[k] = true
			if !before[k] {
				d.Added = append(d.Added, f)
			}
		}
	}
	for id := range before {
		if now[id] {
			continue
		}
		if prev.Compact {
			d.ResolvedUnnamed++
		} else {
			d.Resolved = append(d.Resolved, id)
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
