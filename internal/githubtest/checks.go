package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCheckOutputLength is the longest check run output summary or text
// GitHub accepts, in characters.
const MaxCheckOutputLength = 65535

// CheckRun is a check run as the server holds it.
type CheckRun struct {
	// ID is assigned by the server.
	ID      int64
	Name    string
	HeadSHA string
	// App created the check run (the app of the token that created it).
	App App
	// Status is queued, in_progress or completed.
	Status string
	// Conclusion is set once Status is completed.
	Conclusion string
	ExternalID string
	DetailsURL string
	// Title, Summary and Text are the output.
	Title       string
	Summary     string
	Text        string
	StartedAt   time.Time
	CompletedAt time.Time
}

// AddCheckRun seeds a check run, e.g. one another app created, and returns
// its ID. An empty Status means completed (with conclusion "success" when
// Conclusion is empty).
func (s *Server) AddCheckRun(repo string, cr CheckRun) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	cr.ID = s.id()
	now := s.now()
	if cr.Status == "" {
		cr.Status = "completed"
		if cr.Conclusion == "" {
			cr.Conclusion = "success"
		}
	}
	if cr.StartedAt.IsZero() {
		cr.StartedAt = now
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
	}
	rp.checkRuns = append(rp.checkRuns, &cr)
	return cr.ID
}

// CheckRuns returns the repository's check runs in creation order.
func (s *Server) CheckRuns(repo string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	out := make([]CheckRun, 0, len(rp.checkRuns))
	for _, cr := range rp.checkRuns {
		out = append(out, *cr)
	}
	return out
}

// checkRunInput is the body of POST and PATCH check-runs.
type checkRunInput struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	ExternalID  *string `json:"external_id"`
	DetailsURL  *string `json:"details_url"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title   *string `json:"title"`
		Summary *string `json:"summary"`
		Text    *string `json:"text"`
	} `json:"output"`
}

var (
	checkStatuses    = []string{"queued", "in_progress", "completed"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
)

// apply validates in and sets it on cr, as GitHub does: a conclusion
// completes the run, and an output needs a title and a summary.
func (s *Server) applyCheckRun(cr *CheckRun, in *checkRunInput) *apiError {
	if in.Status != nil && !slices.Contains(checkStatuses, *in.Status) {
		return validation("CheckRun", "status", "invalid", "")
	}
	if in.Conclusion != nil && !slices.Contains(checkConclusions, *in.Conclusion) {
		return validation("CheckRun", "conclusion", "invalid", "")
	}
	if in.Status != nil && *in.Status == "completed" && in.Conclusion == nil && cr.Conclusion == "" {
		return invalid("Invalid request.\n\n\"conclusion\" wasn't supplied.")
	}
	if o := in.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return invalid("Invalid request.\n\n\"title\", \"summary\" weren't supplied.")
		}
		for _, v := range []*string{o.Summary, o.Text} {
			if v != nil && utf8.RuneCountInString(*v) > MaxCheckOutputLength {
				return validation("CheckRun", "output", "custom", fmt.Sprintf("Only %d characters are allowed; %d were supplied.", MaxCheckOutputLength, utf8.RuneCountInString(*v)))
			}
		}
		cr.Title, cr.Summary = *o.Title, *o.Summary
		if o.Text != nil {
			cr.Text = *o.Text
		}
	}
	now := s.now()
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&cr.Name, in.Name)
	set(&cr.ExternalID, in.ExternalID)
	set(&cr.DetailsURL, in.DetailsURL)
	set(&cr.Status, in.Status)
	if in.Conclusion != nil {
		cr.Conclusion, cr.Status = *in.Conclusion, "completed"
	}
	if in.StartedAt != nil {
		if t, err := time.Parse(time.RFC3339, *in.StartedAt); err == nil {
			cr.StartedAt = t
		}
	}
	if cr.StartedAt.IsZero() {
		cr.StartedAt = now
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
		if in.CompletedAt != nil {
			if t, err := time.Parse(time.RFC3339, *in.CompletedAt); err == nil {
				cr.CompletedAt = t
			}
		}
	}
	return nil
}

// createCheckRun answers POST /repos/{o}/{r}/check-runs. Only a GitHub App's
// token may create check runs; a person's token is refused with 403.
func (s *Server) createCheckRun(c *call, rp *repo) *apiError {
	if c.id.App == nil {
		return c.forbidden("")
	}
	var in checkRunInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Name == nil || *in.Name == "" {
		return invalid("Invalid request.\n\n\"name\" wasn't supplied.")
	}
	if in.HeadSHA == nil || *in.HeadSHA == "" {
		return invalid("Invalid request.\n\n\"head_sha\" wasn't supplied.")
	}
	if !rp.knownCommit(*in.HeadSHA) {
		return invalid("No commit found for SHA: %s", *in.HeadSHA)
	}
	cr := &CheckRun{HeadSHA: *in.HeadSHA, App: *c.id.App, Status: "queued"}
	if err := s.applyCheckRun(cr, &in); err != nil {
		return err
	}
	cr.ID = s.id()
	rp.checkRuns = append(rp.checkRuns, cr)
	return c.reply(http.StatusCreated, s.checkRunJSON(rp, cr))
}

// updateCheckRun answers PATCH /repos/{o}/{r}/check-runs/{id}. Only the app
// that created a check run may update it; another app gets GitHub's 403
// naming the creator's app ID.
func (s *Server) updateCheckRun(c *call, rp *repo, cr *CheckRun) *apiError {
	switch {
	case c.id.App == nil:
		return c.forbidden("")
	case c.id.App.ID != cr.App.ID:
		return &apiError{status: http.StatusForbidden, message: fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", cr.App.ID)}
	}
	var in checkRunInput
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Name != nil && *in.Name == "" {
		return invalid("Invalid request.\n\n\"name\" wasn't supplied.")
	}
	next := *cr
	if err := s.applyCheckRun(&next, &in); err != nil {
		return err
	}
	*cr = next
	return c.reply(http.StatusOK, s.checkRunJSON(rp, cr))
}

// listCheckRuns answers GET /repos/{o}/{r}/commits/{ref}/check-runs with
// GitHub's filters: check_name, status, app_id, and filter (latest, the
// default, keeps the most recent run of each name per app; all keeps every
// run).
func (s *Server) listCheckRuns(c *call, rp *repo, ref string) *apiError {
	q := c.r.URL.Query()
	sha := rp.resolve(ref)
	if sha == "" {
		return &apiError{status: http.StatusUnprocessableEntity, message: fmt.Sprintf("No commit found for SHA: %s", ref)}
	}
	filter := q.Get("filter")
	if filter == "" {
		filter = "latest"
	}
	if filter != "latest" && filter != "all" {
		return validation("CheckRun", "filter", "invalid", "")
	}
	var appID int64
	if v := q.Get("app_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return validation("CheckRun", "app_id", "invalid", "")
		}
		appID = n
	}
	var runs []*CheckRun
	for i := len(rp.checkRuns) - 1; i >= 0; i-- { // newest first, as GitHub lists them
		cr := rp.checkRuns[i]
		switch {
		case cr.HeadSHA != sha,
			q.Get("check_name") != "" && cr.Name != q.Get("check_name"),
			q.Get("status") != "" && cr.Status != q.Get("status"),
			appID != 0 && cr.App.ID != appID,
			filter == "latest" && slices.ContainsFunc(runs, func(x *CheckRun) bool { return x.Name == cr.Name && x.App.ID == cr.App.ID }):
			continue
		}
		runs = append(runs, cr)
	}
	all := []map[string]any{}
	for _, cr := range runs {
		all = append(all, s.checkRunJSON(rp, cr))
	}
	page, err := pageOf(s, c, all)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, map[string]any{"total_count": len(all), "check_runs": page})
}

func (s *Server) checkRunJSON(rp *repo, cr *CheckRun) map[string]any {
	api := fmt.Sprintf("%s%s/repos/%s/check-runs/%d", s.ts.URL, Prefix, rp.full(), cr.ID)
	m := map[string]any{
		"id":           cr.ID,
		"node_id":      fmt.Sprintf("CR_%d", cr.ID),
		"name":         cr.Name,
		"head_sha":     cr.HeadSHA,
		"external_id":  cr.ExternalID,
		"details_url":  cr.DetailsURL,
		"status":       cr.Status,
		"conclusion":   nil,
		"started_at":   ts(cr.StartedAt),
		"completed_at": ts(cr.CompletedAt),
		"url":          api,
		"html_url":     fmt.Sprintf("%s/%s/runs/%d", s.ts.URL, rp.full(), cr.ID),
		"output": map[string]any{
			"title": nilIfEmpty(cr.Title), "summary": nilIfEmpty(cr.Summary), "text": nilIfEmpty(cr.Text),
			"annotations_count": 0, "annotations_url": api + "/annotations",
		},
		"check_suite":   map[string]any{"id": 7000 + cr.App.ID},
		"app":           appJSON(cr.App),
		"pull_requests": []any{},
	}
	if cr.Conclusion != "" {
		m["conclusion"] = cr.Conclusion
	}
	return m
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// routeChecks serves the check runs and contents endpoints of a repository;
// ok is false when rest is none of them.
func (s *Server) routeChecks(c *call, rp *repo, rest []string) (err *apiError, ok bool) {
	m := c.r.Method
	switch {
	case len(rest) == 1 && rest[0] == "check-runs" && m == http.MethodPost:
		return s.createCheckRun(c, rp), true
	case len(rest) == 2 && rest[0] == "check-runs" && (m == http.MethodGet || m == http.MethodPatch):
		id, perr := strconv.ParseInt(rest[1], 10, 64)
		i := slices.IndexFunc(rp.checkRuns, func(cr *CheckRun) bool { return cr.ID == id })
		if perr != nil || i < 0 {
			return notFound(), true
		}
		if m == http.MethodPatch {
			return s.updateCheckRun(c, rp, rp.checkRuns[i]), true
		}
		return c.reply(http.StatusOK, s.checkRunJSON(rp, rp.checkRuns[i])), true
	case len(rest) == 3 && rest[0] == "commits" && rest[2] == "check-runs" && m == http.MethodGet:
		return s.listCheckRuns(c, rp, rest[1]), true
	case len(rest) >= 1 && rest[0] == "contents" && m == http.MethodGet:
		return s.getContents(c, rp, strings.Join(rest[1:], "/")), true
	}
	return nil, false
}
