package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is a review's state, as GitHub names it.
type State string

// Review states.
const (
	Approved         State = "APPROVED"
	ChangesRequested State = "CHANGES_REQUESTED"
	Commented        State = "COMMENTED"
	Dismissed        State = "DISMISSED"
	Pending          State = "PENDING"
)

// decisive reports whether a review in state s decides its reviewer's
// stance: an approval, or the withdrawal of one (changes requested,
// dismissed). A comment changes nothing; a pending review is not submitted.
func (s State) decisive() bool {
	switch s {
	case Approved, ChangesRequested, Dismissed:
		return true
	case Commented, Pending:
	}
	return false
}

// Review is one review of a pull request.
type Review struct {
	// Login is the reviewer; empty for a deleted account.
	Login string
	State State
	// CommitSHA is the head commit the review was submitted on.
	CommitSHA string
	// SubmittedAt orders reviews; zero for a pending review.
	SubmittedAt time.Time
}

// Teams answers whether a login is an active member of an organization's
// team (a pending invitation is not membership).
type Teams interface {
	IsTeamMember(ctx context.Context, org, team, login string) (bool, error)
}

// Input is what [Evaluate] judges.
type Input struct {
	Rule Rule
	// Author is the pull request's author, whose own approval never counts.
	Author string
	// Requester, when set, asked for the change in an access request whose
	// pull request the workflow's token opened: their own approval never
	// counts either.
	Requester string
	// HeadSHA is the pull request's final head commit.
	HeadSHA string
	// Reviews are the pull request's reviews in GitHub's order (oldest
	// first); reviews with the same SubmittedAt keep this order.
	Reviews []Review
}

// Reason says why an approval was not counted.
type Reason string

// Why approvals are not counted.
const (
	ByAuthor     Reason = "the pull request's author"
	ByRequester  Reason = "the access request's requester"
	OnOldCommit  Reason = "given on an older commit"
	NotAReviewer Reason = "not a listed reviewer"
	LookupFailed Reason = "team membership could not be read"
	DeletedLogin Reason = "a deleted account"
)

// Uncounted is an approval [Evaluate] did not count.
type Uncounted struct {
	Login  string
	Reason Reason
}

// Result is the outcome of [Evaluate].
type Result struct {
	Rule Rule
	// Approvers are the logins whose approvals count, in the order they
	// approved.
	Approvers []string
	// Missing is how many more approvals the rule needs; zero when met.
	Missing int
	// Uncounted are the approvals of the final state that did not count,
	// and why.
	Uncounted []Uncounted
}

// Met reports whether the rule is met.
func (r Result) Met() bool { return r.Missing == 0 }

// Summary is one sentence for people: "needs 2 approvals from octocat or a
// member of example-corp/iam-admins; has 1 (alice)". It is plain text: escape
// it before it goes into Markdown.
func (r Result) Summary() string {
	noun := "approvals"
	if r.Rule.Required == 1 {
		noun = "approval"
	}
	s := fmt.Sprintf("needs %d %s from %s; has %d", r.Rule.Required, noun, r.Rule.Describe(), len(r.Approvers))
	if len(r.Approvers) > 0 {
		s += " (" + strings.Join(r.Approvers, ", ") + ")"
	}
	return s
}

// Evaluate counts the approvals of in.Reviews that meet in.Rule (see the
// package documentation for what counts). The result is always usable; the
// error joins the team lookups that failed for approvals that therefore did
// not count, so a caller refusing an unmet rule can say why.
func Evaluate(ctx context.Context, in Input, teams Teams) (Result, error) {
	res := Result{Rule: in.Rule}
	if in.Rule.Required <= 0 {
		return res, nil
	}
	rvs, err := in.Rule.Parse()
	if err != nil {
		res.Missing = in.Rule.Required
		return res, fmt.Errorf("approvals rule: %w", err)
	}
	var errs []error
	for _, rv := range latestApprovals(in.Reviews) {
		reason, err := judge(ctx, in, rvs, teams, rv)
		if err != nil {
			errs = append(errs, err)
		}
		if reason != "" {
			res.Uncounted = append(res.Uncounted, Uncounted{Login: rv.Login, Reason: reason})
			continue
		}
		res.Approvers = append(res.Approvers, rv.Login)
	}
	res.Missing = max(0, in.Rule.Required-len(res.Approvers))
	return res, errors.Join(errs...)
}

// latestApprovals returns each reviewer's latest decisive review when it is
// an approval, in the order of those approvals. A deleted account's reviews
// are kept apart (they have no login to group by) and are never counted.
func latestApprovals(reviews []Review) []Review {
	ordered := slices.Clone(reviews)
	slices.SortStableFunc(ordered, func(a, b Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	latest := map[string]int{} // lower-case login → index in ordered
	var deleted []Review
	for i, rv := range ordered {
		switch {
		case !rv.State.decisive():
		case rv.Login == "":
			if rv.State == Approved {
				deleted = append(deleted, rv)
			}
		default:
			latest[strings.ToLower(rv.Login)] = i
		}
	}
	var idx []int
	for _, i := range latest {
		if ordered[i].State == Approved {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	out := deleted
	for _, i := range idx {
		out = append(out, ordered[i])
	}
	return out
}

// judge says why an approval does not count, or "" when it does.
func judge(ctx context.Context, in Input, rvs []Reviewer, teams Teams, rv Review) (Reason, error) {
	switch {
	case rv.Login == "":
		return DeletedLogin, nil
	case strings.EqualFold(rv.Login, in.Author):
		return ByAuthor, nil
	case in.Requester != "" && strings.EqualFold(rv.Login, in.Requester):
		return ByRequester, nil
	case rv.CommitSHA != in.HeadSHA || in.HeadSHA == "":
		return OnOldCommit, nil
	}
	ok, err := IsReviewer(ctx, rvs, rv.Login, teams)
	switch {
	case ok:
		return "", nil
	case err != nil:
		return LookupFailed, err
	default:
		return NotAReviewer, nil
	}
}

// IsReviewer reports whether login is one of rvs: a listed login, or an
// active member of a listed team. Teams are asked only when no login
// matches, and only until one says yes; when none does and a lookup failed,
// the error says so (fail safe: not a reviewer).
func IsReviewer(ctx context.Context, rvs []Reviewer, login string, teams Teams) (bool, error) {
	for _, rv := range rvs {
		if !rv.IsTeam() && strings.EqualFold(rv.Login, login) {
			return true, nil
		}
	}
	var errs []error
	for _, rv := range rvs {
		if !rv.IsTeam() {
			continue
		}
		if teams == nil {
			errs = append(errs, fmt.Errorf("is %s a member of %s: no way to read team membership", login, rv))
			continue
		}
		ok, err := teams.IsTeamMember(ctx, rv.Org, rv.Team, login)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// ActorAllowed reports whether actor, the person who started a manual apply
// (GITHUB_TRIGGERING_ACTOR, else GITHUB_ACTOR), may apply an environment with
// this rule: a listed login or an active member of a listed team. A rule that
// requires no approvals allows anyone. A failed team lookup refuses, with the
// error.
func ActorAllowed(ctx context.Context, rule Rule, actor string, teams Teams) (bool, error) {
	if rule.Required <= 0 {
		return true, nil
	}
	rvs, err := rule.Parse()
	if err != nil {
		return false, fmt.Errorf("approvals rule: %w", err)
	}
	if strings.TrimSpace(actor) == "" {
		return false, errors.New("the run names no actor (GITHUB_TRIGGERING_ACTOR and GITHUB_ACTOR are empty)")
	}
	return IsReviewer(ctx, rvs, actor, teams)
}
