package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// State is what one run remembers about an environment's findings for the
// next: the fingerprint and each finding's ID with enough words to list it
// once it is resolved.
type State struct {
	Environment string       `json:"environment"`
	Fingerprint string       `json:"fingerprint"`
	Findings    []StateEntry `json:"findings"`
}

// StateEntry is one remembered finding.
type StateEntry struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Subject  string   `json:"subject"`
	Summary  string   `json:"summary"`
}

// StateOf is the state a report leaves for the next run.
func StateOf(r *Report) *State {
	s := &State{Environment: r.Environment, Fingerprint: Fingerprint(r.IDs()), Findings: []StateEntry{}}
	for _, f := range r.Findings {
		s.Findings = append(s.Findings, StateEntry{ID: f.ID, Severity: f.Severity, Subject: f.Subject, Summary: f.Summary.String()})
	}
	slices.SortFunc(s.Findings, func(a, b StateEntry) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// stateBlock encloses the state at the end of a drift issue body.
const (
	statePrefix = "<!-- roster:drift-state "
	stateSuffix = " -->"
)

// ErrNoState means a body carries no drift state block that roster wrote:
// it is not a drift issue, or the block was cut or edited.
var ErrNoState = errors.New("no roster drift state block at the end of the body")

// EncodeState returns the hidden block that records s, one line ending in a
// newline, to be written last in a drift issue body. The JSON inside escapes
// "<", ">" and "&", so no name or summary can end the comment early.
func EncodeState(s *State) (string, error) {
	if s == nil {
		s = &State{}
	}
	c := *s
	if c.Findings == nil {
		c.Findings = []StateEntry{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode drift state: %w", err)
	}
	return statePrefix + string(b) + stateSuffix + "\n", nil
}

// DecodeState reads the state back from a drift issue body. Only a block at
// the very end is trusted (EncodeState's block is written after everything
// that came from manifests or AWS), and only in the exact form EncodeState
// writes; anything else is ErrNoState.
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
	want, err := EncodeState(&s)
	if err != nil {
		return nil, err
	}
	if strings.TrimSuffix(want, "\n") != body[i:] {
		return nil, fmt.Errorf("%w: the block was edited", ErrNoState)
	}
	if s.Fingerprint != Fingerprint(s.ids()) {
		return nil, fmt.Errorf("%w: the fingerprint does not match the findings", ErrNoState)
	}
	return &s, nil
}

func (s *State) ids() []string {
	ids := make([]string, len(s.Findings))
	for i, e := range s.Findings {
		ids[i] = e.ID
	}
	return ids
}

// Delta is what changed between two runs.
type Delta struct {
	// Added are findings of the current run the previous one did not have.
	Added []Finding
	// Resolved are findings of the previous run that are gone.
	Resolved []StateEntry
}

// Changed reports whether any finding appeared or went away.
func (d Delta) Changed() bool { return len(d.Added) > 0 || len(d.Resolved) > 0 }

// Compare lists the findings cur added and resolved since prev; a nil prev
// (no earlier run) makes every finding new. Added keeps cur's order
// (most severe first); Resolved is sorted by ID.
func Compare(prev *State, cur *Report) Delta {
	var d Delta
	before := map[string]bool{}
	if prev != nil {
		for _, e := range prev.Findings {
			before[e.ID] = true
		}
	}
	now := map[string]bool{}
	if cur != nil {
		for _, f := range cur.Findings {
			now[f.ID] = true
			if !before[f.ID] {
				d.Added = append(d.Added, f)
			}
		}
	}
	if prev != nil {
		for _, e := range prev.Findings {
			if !now[e.ID] {
				d.Resolved = append(d.Resolved, e)
			}
		}
		slices.SortFunc(d.Resolved, func(a, b StateEntry) int { return strings.Compare(a.ID, b.ID) })
		d.Resolved = slices.CompactFunc(d.Resolved, func(a, b StateEntry) bool { return a.ID == b.ID })
	}
	return d
}
