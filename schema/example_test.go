package schema_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
)

// TestExampleLoads checks that the example access/ tree, which users copy,
// passes every rule of the loader without a single finding, and that it
// shows what the documentation promises: four environments in promotion
// order, about 25 people and 5 service accounts, strict production
// guardrails.
func TestExampleLoads(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
	repo, diags := manifest.Load(filepath.Join("..", "access"), manifest.WithClock(clock))
	if len(diags) > 0 {
		for _, d := range diags {
			t.Error(d)
		}
		t.FailNow()
	}

	type envSummary struct {
		Name, Account  string
		Production     bool
		People         int
		Services       int
		Console        int
		Expiring       []string
		Absent         []string // tombstones: leavers the next apply offboards
		Groups         int
		ServicesBounds int
	}
	var got []envSummary
	people, services := map[string]bool{}, map[string]bool{}
	for _, e := range repo.Environments {
		s := envSummary{Name: e.Name, Account: e.AccountID, Production: e.Production, Groups: len(e.Groups)}
		for _, u := range e.Users {
			if u.Absent {
				s.Absent = append(s.Absent, u.Name)
				continue
			}
			switch u.Kind {
			case manifest.Person:
				s.People++
				people[u.Name] = true
			case manifest.ServiceAccount:
				s.Services++
				services[u.Name] = true
				if u.PermissionsBoundary != "" {
					s.ServicesBounds++
				}
			}
			if u.Console {
				s.Console++
			}
			if u.Expires != nil {
				s.Expiring = append(s.Expiring, u.Name+" "+u.Expires.Written())
			}
		}
		got = append(got, s)
	}
	want := []envSummary{
		{Name: "development", Account: "111111111111", People: 13, Services: 1, Console: 1, Expiring: []string{"walter.fischer 2027-03-31"}, Groups: 3, ServicesBounds: 1},
		{Name: "testing", Account: "222222222222", People: 7, Services: 1, Console: 1, Groups: 3, ServicesBounds: 1},
		{Name: "staging", Account: "333333333333", People: 8, Console: 2, Groups: 4},
		{Name: "production", Account: "444444444444", Production: true, People: 4, Services: 3, Console: 2, Absent: []string{"dave.wilson"}, Groups: 2, ServicesBounds: 3},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("example environments (-want +got):\n%s", diff)
	}
	if len(people) != 25 || len(services) != 5 {
		t.Errorf("example has %d people and %d service accounts, want 25 and 5", len(people), len(services))
	}

	prod := repo.Environment("production")
	wantGuardrails := manifest.Guardrails{
		ForbiddenManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"},
		ForbidAdminEquivalent:    true,
		ConsoleRequiresMFA:       true,
		MaxAccessKeyAgeDays:      90,
		MaxDeletions:             3,
	}
	if diff := cmp.Diff(wantGuardrails, prod.Guardrails); diff != "" {
		t.Errorf("production guardrails (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"break-glass-*"}, prod.Unmanaged.Ignore); diff != "" {
		t.Errorf("production unmanaged.ignore (-want +got):\n%s", diff)
	}
}
