package scaffold

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Prod": "production", "PRD": "production", "Production": "production",
		"Dev": "development", "QA": "testing", "Stage": "staging",
		"Data Lake": "data-lake", "  sandbox_1 ": "sandbox-1", "***": "",
	}
	for in, want := range tests {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProposeFromOUs(t *testing.T) {
	t.Parallel()
	accounts := []Account{
		{ID: "111111111111", Name: "mgmt", State: "ACTIVE"},
		{ID: "444444444444", Name: "p", State: "ACTIVE", OUPath: []string{"Workloads", "Prod", "Team A"}},
		{ID: "222222222222", Name: "d", State: "ACTIVE", OUPath: []string{"Workloads", "Dev"}},
		{ID: "333333333333", Name: "q", State: "PENDING_CLOSURE", OUPath: []string{"QA"}},
	}
	p, err := Propose(accounts, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Environments {
		got = append(got, e.Name+" "+e.AccountID+" "+e.From)
	}
	for _, s := range p.Skipped {
		got = append(got, "skip "+s.Account.ID+" "+s.Reason)
	}
	want := []string{
		"development 222222222222 OU Workloads/Dev",
		"production 444444444444 OU Workloads/Prod",
		"skip 111111111111 in the root, no OU named like development, testing, staging or production (or use --env-tag)",
		"skip 333333333333 state PENDING_CLOSURE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("proposal (-want +got):\n%s", diff)
	}
}
