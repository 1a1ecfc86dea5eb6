package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// SnapshotSource reads live state from snapshot files <Dir>/<env>.json
// written by `roster snapshot`.
type SnapshotSource struct {
	Dir string
}

var _ ReportSource = (*SnapshotSource)(nil)

// Read implements Source.
func (s *SnapshotSource) Read(_ context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	snap, err := s.load(env, needs)
	if err != nil {
		return nil, err
	}
	return snap.Account, nil
}

// ReadWithReport implements ReportSource: the credential report is the one
// the snapshot carries, nil when it has none.
func (s *SnapshotSource) ReadWithReport(_ context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error) {
	snap, err := s.load(env, needs)
	if err != nil {
		return nil, nil, nil, err
	}
	return snap.Account, snap.CredentialReport, nil, nil
}

// load reads env's snapshot and checks it is of env's account and holds
// what needs asks for.
func (s *SnapshotSource) load(env *manifest.Environment, needs func(*state.User) state.Details) (*state.Snapshot, error) {
	name := filepath.Join(s.Dir, env.Name+".json")
	f, err := os.Open(name) //nolint:gosec // the user names the snapshot directory on purpose
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("environment %s: no snapshot %s (take one with: roster snapshot --env %s > %s)", env.Name, name, env.Name, name)
		}
		return nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer f.Close()
	snap, err := state.ReadSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %s: %w", env.Name, name, err)
	}
	if snap.Account.AccountID != env.AccountID {
		return nil, fmt.Errorf("environment %s: snapshot %s is of account %s, but environment.yaml says %s", env.Name, name, snap.Account.AccountID, env.AccountID)
	}
	if needs != nil {
		for _, u := range snap.Account.Users {
			if want := needs(u); !u.Details.Has(want) {
				return nil, fmt.Errorf("environment %s: snapshot %s lacks console or credential data for user %s; take a fresh one with roster snapshot", env.Name, name, u.Name)
			}
		}
	}
	return snap, nil
}
