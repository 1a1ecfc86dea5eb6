package approval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// teamsFake is a Teams with fixed members ("org/team" → logins, lower case)
// and teams whose lookups fail; it records every lookup.
type teamsFake struct {
	members map[string][]string
	fail    map[string]error
	mu      sync.Mutex
	asked   []string
}

func (f *teamsFake) IsTeamMember(_ context.Context, org, team, login string) (bool, error) {
	f.mu.Lock()
	f.asked = append(f.asked, org+"/"+team+" "+login)
	f.mu.Unlock()
	key := strings.ToLower(org + "/" + team)
	if err := f.fail[key]; err != nil {
		return false, fmt.Errorf("read %s membership of %s: %w", key, login, err)
	}
	for _, m := range f.members[key] {
		if strings.EqualFold(m, login) {
			return true, nil
		}
	}
	return false, nil
}

var errNoOrgRead = errors.New("403 Resource not accessible by integration")

// at is the n-th minute of the review timeline.
func at(n int) time.Time { return time.Date(2026, 5, 1, 10, n, 0, 0, time.UTC) }

func rv(login string, s State, sha string, minute int) Review {
	return Review{Login: login, State: s, CommitSHA: sha, SubmittedAt: at(minute)}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	rule := Rule{Required: 2, Reviewers: []string{"octocat", "Hubot", "example-corp/iam-admins"}}
	teams := map[string][]string{"example-corp/iam-admins": {"alice", "bob", "mallory-admin"}}
	const head, old = "h2", "h1"

	tests := []struct {
		name       string
		rule       *Rule
		author     string
		reviews    []Review
		fail       map[string]error
		want       Result
		wantErr    bool
		wantLookup []string
	}{
		{
			name:    "two listed approvals on head",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("alice", Approved, head, 2)},
			want:    Result{Approvers: []string{"octocat", "alice"}},
			// a listed login needs no lookup
			wantLookup: []string{"example-corp/iam-admins alice"},
		},
		{
			name:    "logins compare case-insensitively",
			reviews: []Review{rv("OCTOCAT", Approved, head, 1), rv("hubot", Approved, head, 2)},
			want:    Result{Approvers: []string{"OCTOCAT", "hubot"}},
		},
		{
			name:    "attack: the author approves their own pull request",
			author:  "Octocat",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("alice", Approved, head, 2)},
			want: Result{Approvers: []string{"alice"}, Missing: 1,
				Uncounted: []Uncounted{{"octocat", ByAuthor}}},
			wantLookup: []string{"example-corp/iam-admins alice"},
		},
		{
			name:    "attack: approval of an older commit",
			reviews: []Review{rv("octocat", Approved, old, 1), rv("hubot", Approved, head, 2)},
			want: Result{Approvers: []string{"hubot"}, Missing: 1,
				Uncounted: []Uncounted{{"octocat", OnOldCommit}}},
		},
		{
			name:    "a comment on head does not refresh an approval of an older commit",
			reviews: []Review{rv("octocat", Approved, old, 1), rv("octocat", Commented, head, 2)},
			want:    Result{Missing: 2, Uncounted: []Uncounted{{"octocat", OnOldCommit}}},
		},
		{
			name:    "approving again on head counts",
			reviews: []Review{rv("octocat", Approved, old, 1), rv("octocat", Approved, head, 2), rv("hubot", Approved, head, 3)},
			want:    Result{Approvers: []string{"octocat", "hubot"}},
		},
		{
			name:    "attack: approval then changes requested",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("hubot", Approved, head, 2), rv("octocat", ChangesRequested, head, 3)},
			want:    Result{Approvers: []string{"hubot"}, Missing: 1},
		},
		{
			name:    "changes requested then approval counts",
			reviews: []Review{rv("octocat", ChangesRequested, head, 1), rv("octocat", Approved, head, 2), rv("hubot", Approved, head, 3)},
			want:    Result{Approvers: []string{"octocat", "hubot"}},
		},
		{
			name:    "a comment after an approval does not withdraw it",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("octocat", Commented, head, 2), rv("hubot", Approved, head, 3)},
			want:    Result{Approvers: []string{"octocat", "hubot"}},
		},
		{
			name:    "attack: a dismissed approval",
			reviews: []Review{rv("octocat", Dismissed, head, 1), rv("hubot", Approved, head, 2)},
			want:    Result{Approvers: []string{"hubot"}, Missing: 1},
		},
		{
			name:    "a dismissal withdraws an earlier approval by the same person",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("octocat", Dismissed, head, 2), rv("hubot", Approved, head, 3)},
			want:    Result{Approvers: []string{"hubot"}, Missing: 1},
		},
		{
			name:    "attack: approval by someone not listed",
			reviews: []Review{rv("mallory", Approved, head, 1), rv("octocat", Approved, head, 2)},
			want: Result{Approvers: []string{"octocat"}, Missing: 1,
				Uncounted: []Uncounted{{"mallory", NotAReviewer}}},
			wantLookup: []string{"example-corp/iam-admins mallory"},
		},
		{
			name:    "attack: the same person approving twice counts once",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("Octocat", Approved, head, 2), rv("octocat", Approved, head, 3)},
			want:    Result{Approvers: []string{"octocat"}, Missing: 1},
		},
		{
			name:    "attack: team lookup fails: not counted, error surfaced",
			reviews: []Review{rv("alice", Approved, head, 1), rv("octocat", Approved, head, 2)},
			fail:    map[string]error{"example-corp/iam-admins": errNoOrgRead},
			want: Result{Approvers: []string{"octocat"}, Missing: 1,
				Uncounted: []Uncounted{{"alice", LookupFailed}}},
			wantErr:    true,
			wantLookup: []string{"example-corp/iam-admins alice"},
		},
		{
			name:    "a failing team is not asked when listed logins meet the rule",
			reviews: []Review{rv("octocat", Approved, head, 1), rv("hubot", Approved, head, 2)},
			fail:    map[string]error{"example-corp/iam-admins": errNoOrgRead},
			want:    Result{Approvers: []string{"octocat", "hubot"}},
		},
		{
			name:       "a team lookup failing for one team, another team confirms",
			rule:       &Rule{Required: 1, Reviewers: []string{"example-corp/broken", "example-corp/iam-admins"}},
			reviews:    []Review{rv("bob", Approved, head, 1)},
			fail:       map[string]error{"example-corp/broken": errNoOrgRead},
			want:       Result{Approvers: []string{"bob"}},
			wantLookup: []string{"example-corp/broken bob", "example-corp/iam-admins bob"},
		},
		{
			name:    "pending reviews are not submitted",
			reviews: []Review{{Login: "octocat", State: Pending, CommitSHA: head}, rv("hubot", Approved, head, 2)},
			want:    Result{Approvers: []string{"hubot"}, Missing: 1},
		},
		{
			name:    "a deleted account's approval never counts",
			reviews: []Review{rv("", Approved, head, 1), rv("hubot", Approved, head, 2)},
			want: Result{Approvers: []string{"hubot"}, Missing: 1,
				Uncounted: []Uncounted{{"", DeletedLogin}}},
		},
		{
			name:    "order follows submission time, not list position",
			reviews: []Review{rv("octocat", ChangesRequested, head, 5), rv("octocat", Approved, head, 1), rv("hubot", Approved, head, 2)},
			want:    Result{Approvers: []string{"hubot"}, Missing: 1},
		},
		{
			name: "no reviews",
			want: Result{Missing: 2},
		},
		{
			name: "a rule requiring nothing is met without reviews",
			rule: &Rule{},
			want: Result{},
		},
		{
			name:    "a malformed rule is never met",
			rule:    &Rule{Required: 1, Reviewers: []string{"not a login"}},
			reviews: []Review{rv("octocat", Approved, head, 1)},
			want:    Result{Missing: 1},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := rule
			if tt.rule != nil {
				r = *tt.rule
			}
			f := &teamsFake{members: teams, fail: tt.fail}
			got, err := Evaluate(context.Background(), Input{Rule: r, Author: tt.author, HeadSHA: head, Reviews: tt.reviews}, f)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			tt.want.Rule = r
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if got.Met() != (tt.want.Missing == 0) {
				t.Errorf("Met() = %v with %d missing", got.Met(), got.Missing)
			}
			if diff := cmp.Diff(tt.wantLookup, f.asked); diff != "" {
				t.Errorf("team lookups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateErrorNamesTheLookup(t *testing.T) {
	t.Parallel()
	f := &teamsFake{fail: map[string]error{"example-corp/iam-admins": errNoOrgRead}}
	_, err := Evaluate(context.Background(), Input{
		Rule:    Rule{Required: 1, Reviewers: []string{"example-corp/iam-admins"}},
		HeadSHA: "h", Reviews: []Review{rv("alice", Approved, "h", 1)},
	}, f)
	if !errors.Is(err, errNoOrgRead) || !strings.Contains(err.Error(), "example-corp/iam-admins") {
		t.Errorf("err = %v, want the failed lookup of example-corp/iam-admins", err)
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		res  Result
		want string
	}{
		{Result{Rule: Rule{Required: 2, Reviewers: []string{"octocat", "example-corp/iam-admins"}}, Approvers: []string{"alice"}, Missing: 1},
			"needs 2 approvals from octocat or a member of example-corp/iam-admins; has 1 (alice)"},
		{Result{Rule: Rule{Required: 1, Reviewers: []string{"octocat"}}, Missing: 1},
			"needs 1 approval from octocat; has 0"},
		{Result{Rule: Rule{Required: 2, Reviewers: []string{"a", "b", "org/t"}}, Approvers: []string{"a", "b"}},
			"needs 2 approvals from a, b or a member of org/t; has 2 (a, b)"},
	}
	for _, tt := range tests {
		if got := tt.res.Summary(); got != tt.want {
			t.Errorf("Summary() = %q, want %q", got, tt.want)
		}
	}
}

func TestActorAllowed(t *testing.T) {
	t.Parallel()
	rule := Rule{Required: 1, Reviewers: []string{"octocat", "example-corp/iam-admins"}}
	tests := []struct {
		name    string
		rule    Rule
		actor   string
		fail    bool
		want    bool
		wantErr bool
	}{
		{name: "listed login", rule: rule, actor: "OctoCat", want: true},
		{name: "team member", rule: rule, actor: "alice", want: true},
		{name: "attack: someone else", rule: rule, actor: "mallory"},
		{name: "attack: team lookup fails", rule: rule, actor: "alice", fail: true, wantErr: true},
		{name: "listed login needs no lookup even when teams fail", rule: rule, actor: "octocat", fail: true, want: true},
		{name: "no actor", rule: rule, actor: "", wantErr: true},
		{name: "no approvals required", rule: Rule{}, actor: "anyone", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &teamsFake{members: map[string][]string{"example-corp/iam-admins": {"alice"}}}
			if tt.fail {
				f.fail = map[string]error{"example-corp/iam-admins": errNoOrgRead}
			}
			got, err := ActorAllowed(context.Background(), tt.rule, tt.actor, f)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ActorAllowed(%q) = %v, %v; want %v, error %v", tt.actor, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule Rule
		want []string // fragments of the error, in order; none means valid
	}{
		{Rule{Required: 2, Reviewers: []string{"octocat", "example-corp/iam-admins"}}, nil},
		{Rule{Required: 1, Reviewers: []string{"@octocat"}}, nil},
		{Rule{}, nil},
		{Rule{Required: -1, Reviewers: []string{"a"}}, []string{"0 or more"}},
		{Rule{Required: 1}, []string{"list no reviewers"}},
		{Rule{Required: 1, Reviewers: []string{"-bad", "org/Team"}}, []string{`"-bad" is not a GitHub login`, `"org/Team" is not a team`}},
		{Rule{Required: 1, Reviewers: []string{"octocat", "OctoCat"}}, []string{"listed twice"}},
		{Rule{Required: 3, Reviewers: []string{"a", "b"}}, []string{"can never be met"}},
		{Rule{Required: 3, Reviewers: []string{"a", "org/team"}}, nil},
	}
	for _, tt := range tests {
		err := tt.rule.Validate()
		if (err != nil) != (tt.want != nil) {
			t.Errorf("%+v: Validate() = %v, want errors %q", tt.rule, err, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: Validate() = %v, want it to say %q", tt.rule, err, w)
			}
		}
	}
}
