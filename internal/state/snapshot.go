package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// SnapshotFormat is the version of the snapshot file format. Readers accept
// any 1.x; additive changes bump the minor version.
const SnapshotFormat = "1.1"

// Snapshot is one environment's live IAM state saved as JSON by
// `roster snapshot`, so plans can be computed offline (`roster plan --live`).
// A snapshot holds every per-user detail (console access and credential
// metadata, never secrets) for every user, so any plan can be computed from it.
type Snapshot struct {
	FormatVersion string    `json:"format_version"`
	Environment   string    `json:"environment"`
	TakenAt       time.Time `json:"taken_at"`
	Account       *Account  `json:"account"`
	// CredentialReport is the account's credential report, when the
	// snapshot was taken with one; drift reads it for hygiene findings.
	CredentialReport *CredentialReport `json:"credential_report,omitempty"`
}

// WriteSnapshot writes s as indented JSON.
func WriteSnapshot(w io.Writer, s *Snapshot) error {
	if s.FormatVersion == "" {
		s.FormatVersion = SnapshotFormat
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// ErrSnapshotFormat is returned for a snapshot this version cannot read.
var ErrSnapshotFormat = errors.New("unsupported snapshot format")

// ReadSnapshot parses a snapshot strictly: unknown fields are errors, so a
// typo in a hand-edited snapshot is not silently ignored.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	// The decoder reads r itself: reading it whole first would hold a
	// second copy of the snapshot while it is parsed.
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse snapshot: %w", err)
	}
	if len(s.FormatVersion) < 2 || s.FormatVersion[:2] != "1." {
		return nil, fmt.Errorf("%w %q (this roster reads 1.x)", ErrSnapshotFormat, s.FormatVersion)
	}
	if s.Account == nil {
		return nil, errors.New("parse snapshot: no account")
	}
	if s.Account.Users == nil {
		s.Account.Users = map[string]*User{}
	}
	if s.Account.Groups == nil {
		s.Account.Groups = map[string]*Group{}
	}
	for name, u := range s.Account.Users {
		if u.Name != name {
			return nil, fmt.Errorf("parse snapshot: user key %q holds user %q", name, u.Name)
		}
	}
	for name, g := range s.Account.Groups {
		if g.Name != name {
			return nil, fmt.Errorf("parse snapshot: group key %q holds group %q", name, g.Name)
		}
	}
	return &s, nil
}
