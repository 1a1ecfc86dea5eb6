package drift

import (
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// Organization findings: about accounts, not IAM entities.
const (
	// UncoveredAccount: an active account of the Organization that no
	// environment covers holds IAM users nobody reviews.
	UncoveredAccount Kind = "uncovered-account"
	// AccountLeft: an environment's account is not in the Organization.
	AccountLeft Kind = "account-left"
	// AccountInactive: an environment's account is suspended, closing or
	// closed.
	AccountInactive Kind = "account-inactive"
	// OrganizationUnread: the Organization could not be listed, so none of
	// the above was checked.
	OrganizationUnread Kind = "organization-unread"
)

// usersShown is how many of an uncovered account's users a finding names.
const usersShown = 5

// BuildOrganization checks the repository's environments (all of them,
// whichever a run selects) against the accounts of the AWS Organization:
// one finding for each active account no environment covers that holds IAM
// users, and for each environment whose account left the Organization or
// is not active. readErr is why the Organization could not be listed; the
// report then holds that one finding. Accounts whose users could not be
// read are listed in a note, not as findings: roster cannot tell whether
// they hold any.
func BuildOrganization(org *manifest.Organization, envs []*manifest.Environment, accounts []state.OrgAccount, readErr error) *Report {
	r := &Report{Environment: manifest.OrganizationReport, AccountID: org.AccountID, Organization: true}
	if readErr != nil {
		r.Add(Finding{
			ID: string(OrganizationUnread), Kind: OrganizationUnread, Severity: Medium,
			SubjectKind: plan.KindAccount, Subject: org.AccountID,
			Summary: sentence(words("the accounts of the AWS Organization could not be listed with "), code(org.ManagementRoleARN), words(fmt.Sprintf(": %v", readErr))),
			Restore: sentence(words("allow the role "), code("organizations:ListAccounts"), words(" and let the drift workflow's credentials assume it (docs/setup.md)")),
			Pos:     org.Pos,
		})
		return r
	}
	byID := make(map[string]state.OrgAccount, len(accounts))
	for _, a := range accounts {
		byID[a.ID] = a
	}
	covered := make(map[string]bool, len(envs))
	for _, e := range envs {
		covered[e.AccountID] = true
		a, ok := byID[e.AccountID]
		switch {
		case !ok:
			r.Add(envFinding(e, AccountLeft, "is not in the AWS Organization", "check account_id, or remove the environment if the account is gone"))
		case a.State != state.AccountActive:
			r.Add(envFinding(e, AccountInactive, "is "+strings.ToLower(strings.ReplaceAll(a.State, "_", " "))+" in the AWS Organization",
				"remove the environment once its account is closed for good, or reinstate the account"))
		}
	}
	var unread []string
	for _, a := range accounts {
		if covered[a.ID] || a.State != state.AccountActive {
			continue
		}
		if !a.Inventoried {
			if a.Unread != "" {
				unread = append(unread, fmt.Sprintf("%s (%s): %s", a.ID, a.Name, a.Unread))
			}
			continue
		}
		if len(a.Users) > 0 {
			r.Add(uncovered(a))
		}
	}
	if len(unread) > 0 {
		slices.Sort(unread)
		r.Notes = append(r.Notes, fmt.Sprintf("the IAM users of %s no environment covers could not be read, so they may hold users nobody reviews: %s",
			count(len(unread), "account"), strings.Join(unread, "; ")))
	}
	return r
}

func envFinding(e *manifest.Environment, k Kind, what, accept string) Finding {
	return Finding{
		ID: string(k) + "/" + e.AccountID, Kind: k, Severity: High,
		SubjectKind: plan.KindAccount, Subject: e.AccountID,
		Summary: sentence(words("the account of environment "), code(e.Name), words(" "+what)),
		Accept:  sentence(words(accept+" ("), code(e.Pos.String()), words(")")),
		Pos:     e.Pos,
	}
}

func uncovered(a state.OrgAccount) Finding {
	shown := a.Users
	more := ""
	if len(shown) > usersShown {
		shown, more = shown[:usersShown], fmt.Sprintf(" and %d more", len(a.Users)-usersShown)
	}
	spans := []Span{words("account "), code(a.ID), words(" ("), code(a.Name), words(") holds " + count(len(a.Users), "IAM user") + " and no environment covers it: ")}
	for i, u := range shown {
		if i > 0 {
			spans = append(spans, words(", "))
		}
		spans = append(spans, code(u))
	}
	spans = append(spans, words(more))
	return Finding{
		ID: string(UncoveredAccount) + "/" + a.ID, Kind: UncoveredAccount, Severity: Medium,
		SubjectKind: plan.KindAccount, Subject: a.ID,
		Summary: sentence(spans...),
		Accept:  sentence(words("bring it under review: "), code("roster init --env NAME="+a.ID), words(" then "), code("roster import --env NAME"), words(", or delete its IAM users")),
	}
}

// count says "1 account" or "3 accounts".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
