package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/roster-dev/roster/internal/render"
)

// PlanRecordName is the name of the check run that records the reviewed plan.
const PlanRecordName = "roster/plan"

// planRecordFormat is the version of the record's JSON document.
const planRecordFormat = 1

// ErrNoPlanRecord means the commit has no reviewed-plan record from the
// trusted app.
var ErrNoPlanRecord = errors.New("no reviewed-plan record")

// ErrBadPlanRecord means a record from the trusted app cannot be read, or
// the commit holds records that disagree: it is never trusted.
var ErrBadPlanRecord = errors.New("the reviewed-plan record cannot be trusted")

// ErrUntrustedApp means the token that wrote the record belongs to another
// app than the one records are trusted from.
var ErrUntrustedApp = errors.New("the token's app is not the trusted app")

// ErrNotAnApp means the token is a person's: only GitHub Apps (such as the
// workflow's GITHUB_TOKEN) can create check runs.
var ErrNotAnApp = errors.New("only a GitHub App's token can write the reviewed-plan record")

// App names a GitHub App as check runs carry it.
type App struct {
	// ID is the app's ID; zero matches any ID (GitHub Enterprise Server
	// gives the GitHub Actions app an ID of its own).
	ID int64
	// Slug is the app's unique, URL-friendly name, e.g. "github-actions".
	Slug string
}

// GitHubActions is the app of every workflow's GITHUB_TOKEN on github.com.
var GitHubActions = App{ID: 15368, Slug: "github-actions"}

// DefaultTrustedApp is the app whose records apply trusts when nothing else
// is configured: the GitHub Actions app, by ID and slug on github.com and by
// slug (unique on an instance, and reserved) on GitHub Enterprise Server.
func DefaultTrustedApp(apiURL string) App {
	if api := strings.TrimRight(strings.TrimSpace(apiURL), "/"); api == "" || api == PublicAPIURL {
		return GitHubActions
	}
	return App{Slug: GitHubActions.Slug}
}

// appSlug is the syntax of a GitHub App's slug as check runs carry it: lower
// case letters, digits and single inner hyphens.
var appSlug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9])*$`)

// ParseApp reads an app as the trusted-app input names it: its slug
// ("roster-bot"), or its slug and ID ("roster-bot:123456"), which trusts
// only that exact app. Empty is an error: the caller decides the default
// (see [DefaultTrustedApp]).
func ParseApp(s string) (App, error) {
	slug, id, hasID := strings.Cut(strings.TrimSpace(s), ":")
	if !appSlug.MatchString(slug) {
		return App{}, fmt.Errorf("%q is not a GitHub App: write its slug (as in https://github.com/apps/<slug>), optionally with its ID, e.g. roster-bot or roster-bot:123456", s)
	}
	a := App{Slug: slug}
	if hasID {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return App{}, fmt.Errorf("%q: the app ID after %q must be a positive number (the App ID on the app's settings page)", s, slug+":")
		}
		a.ID = n
	}
	return a, nil
}

// String names the app for people: "github-actions (app 15368)".
func (a App) String() string {
	if a.ID == 0 {
		return a.Slug
	}
	return fmt.Sprintf("%s (app %d)", a.Slug, a.ID)
}

// trusts reports whether a check run's app is a. An App naming neither slug
// nor ID trusts nothing.
func (a App) trusts(x *gh.App) bool {
	if x == nil || (a.Slug == "" && a.ID == 0) {
		return false
	}
	return (a.Slug == "" || strings.EqualFold(a.Slug, x.GetSlug())) && (a.ID == 0 || a.ID == x.GetID())
}

func appOf(x *gh.App) App { return App{ID: x.GetID(), Slug: x.GetSlug()} }

// PlanRecord is what reviewers saw on a pull request's head commit: the
// digest of each environment's plan.
type PlanRecord struct {
	PullRequest int               `json:"pull_request"`
	HeadSHA     string            `json:"head_sha"`
	Digests     map[string]string `json:"digests"`
}

// RecordOptions are the parts of the check run meant for people.
type RecordOptions struct {
	// Summary is the check run's Markdown summary; empty lists the digests.
	Summary string
	// DetailsURL links the workflow run that planned.
	DetailsURL string
	// Conclusion is the check run's conclusion; empty means "success".
	Conclusion string
}

// FoundRecord is a record read back, with where it came from.
type FoundRecord struct {
	PlanRecord
	CheckRunID int64
	App        App
	URL        string
}

// recordDoc is the JSON document in the check run's output text.
type recordDoc struct {
	Format int `json:"roster_plan_record"`
	PlanRecord
}

func encodeRecord(rec PlanRecord) (string, error) {
	b, err := json.MarshalIndent(recordDoc{Format: planRecordFormat, PlanRecord: rec}, "", "  ")
	if err != nil {
		return "", err
	}
	return "```json\n" + string(b) + "\n```", nil
}

// decodeRecord reads a record from a check run's output text, strictly: the
// text is exactly one JSON fence in roster's format.
func decodeRecord(text string) (PlanRecord, error) {
	body, okPrefix := strings.CutPrefix(strings.TrimSpace(text), "```json\n")
	body, okSuffix := strings.CutSuffix(body, "\n```")
	if !okPrefix || !okSuffix {
		return PlanRecord{}, errors.New("its text is not roster's JSON block")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	var doc recordDoc
	if err := dec.Decode(&doc); err != nil {
		return PlanRecord{}, fmt.Errorf("its JSON: %w", err)
	}
	if doc.Format != planRecordFormat {
		return PlanRecord{}, fmt.Errorf("format %d is not %d", doc.Format, planRecordFormat)
	}
	return doc.PlanRecord, nil
}

func defaultSummary(rec PlanRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The plan reviewed on #%d at %s, by environment:\n\n", rec.PullRequest, render.EscapeMarkdown(rec.HeadSHA))
	for _, env := range slices.Sorted(maps.Keys(rec.Digests)) {
		fmt.Fprintf(&b, "- %s: %s\n", render.EscapeMarkdown(env), render.EscapeMarkdown(rec.Digests[env]))
	}
	return b.String()
}

// planRecords lists the plan-record check runs on headSHA, every page, and
// splits them into those of the trusted app and the others.
func (c *Client) planRecords(ctx context.Context, repo, headSHA string, trusted App) (mine, others []*gh.CheckRun, err error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, nil, err
	}
	opts := &gh.ListCheckRunsOptions{CheckName: gh.String(PlanRecordName), Filter: gh.String("all"), ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		res, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, owner, name, headSHA, opts)
		if err != nil {
			return nil, nil, c.fail(fmt.Sprintf("list the %s check runs of %s in %s", PlanRecordName, headSHA, repo), permChecksRead, err)
		}
		for _, cr := range res.CheckRuns {
			switch {
			case cr.GetName() != PlanRecordName || cr.GetHeadSHA() != headSHA:
			case trusted.trusts(cr.App):
				mine = append(mine, cr)
			default:
				others = append(others, cr)
			}
		}
		if resp.NextPage == 0 {
			return mine, others, nil
		}
		opts.Page = resp.NextPage
	}
}

// CreateOrUpdatePlanRecord writes rec as the completed check run
// [PlanRecordName] on rec.HeadSHA, with the digests as a JSON block in its
// output text. A record the trusted app already wrote on that commit is
// updated in place (every one, so a re-run also overwrites a duplicate); else
// one is created. The token must be the trusted app's: a person's token
// wraps [ErrNotAnApp], another app's [ErrUntrustedApp], so a misconfigured
// workflow fails when it plans rather than when it merges.
func (c *Client) CreateOrUpdatePlanRecord(ctx context.Context, repo string, rec PlanRecord, o RecordOptions, trusted App) (FoundRecord, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return FoundRecord{}, err
	}
	op := fmt.Sprintf("write the reviewed-plan record (%s check run) on %s in %s", PlanRecordName, rec.HeadSHA, repo)
	text, err := encodeRecord(rec)
	if err != nil {
		return FoundRecord{}, fmt.Errorf("%s: %w", op, err)
	}
	if o.Summary == "" {
		o.Summary = defaultSummary(rec)
	}
	if o.Conclusion == "" {
		o.Conclusion = "success"
	}
	if n := len([]rune(o.Summary)); n > MaxBodyLength-1 {
		return FoundRecord{}, fmt.Errorf("%s: summary: %w (%d characters, at most %d)", op, ErrBodyTooLong, n, MaxBodyLength-1)
	}
	out := &gh.CheckRunOutput{Title: gh.String(fmt.Sprintf("Reviewed plan of #%d", rec.PullRequest)), Summary: gh.String(o.Summary), Text: gh.String(text)}
	var details *string
	if o.DetailsURL != "" {
		details = gh.String(o.DetailsURL)
	}
	mine, _, err := c.planRecords(ctx, repo, rec.HeadSHA, trusted)
	if err != nil {
		return FoundRecord{}, err
	}
	var written []*gh.CheckRun
	if len(mine) == 0 {
		cr, _, err := c.gh.Checks.CreateCheckRun(ctx, owner, name, gh.CreateCheckRunOptions{
			Name: PlanRecordName, HeadSHA: rec.HeadSHA, DetailsURL: details, Status: gh.String("completed"),
			Conclusion: gh.String(o.Conclusion), Output: out,
		})
		if err != nil {
			return FoundRecord{}, c.failRecord(op, err)
		}
		written = append(written, cr)
	}
	for _, old := range mine {
		cr, _, err := c.gh.Checks.UpdateCheckRun(ctx, owner, name, old.GetID(), gh.UpdateCheckRunOptions{
			Name: PlanRecordName, DetailsURL: details, Status: gh.String("completed"), Conclusion: gh.String(o.Conclusion), Output: out,
		})
		if err != nil {
			return FoundRecord{}, c.failRecord(op, err)
		}
		written = append(written, cr)
	}
	cr := written[0]
	if !trusted.trusts(cr.App) {
		return FoundRecord{}, fmt.Errorf("%s: %w: the token wrote it as %s, but records are trusted only from %s; use that app's token as github-token, or trust this app", op, ErrUntrustedApp, appOf(cr.App), trusted)
	}
	return FoundRecord{PlanRecord: rec, CheckRunID: cr.GetID(), App: appOf(cr.App), URL: cr.GetHTMLURL()}, nil
}

// failRecord explains a refused check run write.
func (c *Client) failRecord(op string, err error) error {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && strings.Contains(er.Message, "can only be modified by the GitHub App that created it") {
		return fmt.Errorf("%s: %w: the trusted app's record exists and this token belongs to another app (GitHub said %q); use the trusted app's token as github-token", op, ErrUntrustedApp, er.Message)
	}
	err = c.fail(op, permChecksWrite, err)
	var pe *PermissionError
	if errors.As(err, &pe) && strings.Contains(pe.Message, "personal access token") {
		return fmt.Errorf("%s: %w: GitHub refused a personal access token (%q); use the workflow's GITHUB_TOKEN with `checks: write`, or a GitHub App's token", op, ErrNotAnApp, pe.Message)
	}
	return err
}

// FindPlanRecord returns the reviewed-plan record of pull request pr on its
// head commit headSHA, as written by the trusted app. Check runs of the same
// name from any other app, or on another commit, are ignored: only the
// trusted app's token could have written the record. No record wraps
// [ErrNoPlanRecord] (saying which check runs were ignored); a record that
// cannot be read, names another commit or pull request, is not completed,
// or disagrees with another record of the trusted app on that commit wraps
// [ErrBadPlanRecord]. Both mean: do not apply.
func (c *Client) FindPlanRecord(ctx context.Context, repo string, pr int, headSHA string, trusted App) (FoundRecord, error) {
	mine, others, err := c.planRecords(ctx, repo, headSHA, trusted)
	if err != nil {
		return FoundRecord{}, err
	}
	op := fmt.Sprintf("reviewed-plan record of %s#%d at %s", repo, pr, headSHA)
	if len(mine) == 0 {
		var ignored string
		for _, o := range others {
			ignored += fmt.Sprintf("; ignored the %s check run %d from %s, which is not the trusted app", PlanRecordName, o.GetID(), appOf(o.App))
		}
		return FoundRecord{}, fmt.Errorf("%s: %w from %s%s", op, ErrNoPlanRecord, trusted, ignored)
	}
	var found *FoundRecord
	for _, cr := range mine {
		rec, err := decodeRecord(cr.GetOutput().GetText())
		switch {
		case err != nil:
			return FoundRecord{}, fmt.Errorf("%s: %w: check run %d: %w", op, ErrBadPlanRecord, cr.GetID(), err)
		case cr.GetStatus() != "completed":
			return FoundRecord{}, fmt.Errorf("%s: %w: check run %d is %s, not completed", op, ErrBadPlanRecord, cr.GetID(), cr.GetStatus())
		case rec.HeadSHA != headSHA || rec.PullRequest != pr:
			return FoundRecord{}, fmt.Errorf("%s: %w: check run %d records #%d at %s", op, ErrBadPlanRecord, cr.GetID(), rec.PullRequest, rec.HeadSHA)
		case found != nil && !maps.Equal(found.Digests, rec.Digests):
			return FoundRecord{}, fmt.Errorf("%s: %w: check runs %d and %d record different plans; re-run the plan on the pull request", op, ErrBadPlanRecord, found.CheckRunID, cr.GetID())
		case found == nil:
			found = &FoundRecord{PlanRecord: rec, CheckRunID: cr.GetID(), App: appOf(cr.App), URL: cr.GetHTMLURL()}
		}
	}
	return *found, nil
}
