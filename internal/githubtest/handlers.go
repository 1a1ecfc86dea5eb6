package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) route(c *call) *apiError {
	m, sg := c.r.Method, c.segs
	if len(sg) == 1 && sg[0] == "user" && m == http.MethodGet {
		return c.reply(http.StatusOK, map[string]any{"login": c.login, "id": 41898282, "type": "Bot"})
	}
	if len(sg) >= 1 && sg[0] == "orgs" {
		return s.routeOrgs(c, sg)
	}
	if len(sg) < 4 || sg[0] != "repos" {
		return notFound()
	}
	rp := s.repoLocked(sg[1]+"/"+sg[2], false)
	if rp == nil {
		return notFound()
	}
	rest := sg[3:]
	if err, ok := s.routeChecks(c, rp, rest); ok {
		return err
	}
	if err, ok := s.routeGit(c, rp, rest); ok {
		return err
	}
	switch {
	case len(rest) == 1 && rest[0] == "issues":
		switch m {
		case http.MethodGet:
			return s.listIssues(c, rp)
		case http.MethodPost:
			return s.createIssue(c, rp)
		}
	case len(rest) == 3 && rest[0] == "issues" && rest[1] == "comments":
		id, err := strconv.ParseInt(rest[2], 10, 64)
		if err != nil {
			return notFound()
		}
		cm := rp.comment(id)
		if cm == nil {
			return notFound()
		}
		switch m {
		case http.MethodGet:
			return c.reply(http.StatusOK, s.commentJSON(rp, cm))
		case http.MethodPatch:
			return s.editComment(c, rp, cm)
		case http.MethodDelete:
			rp.comments = slices.DeleteFunc(rp.comments, func(x *Comment) bool { return x.ID == id })
			c.w.WriteHeader(http.StatusNoContent)
			c.status = http.StatusNoContent
			return nil
		}
	case len(rest) >= 2 && rest[0] == "issues":
		n, err := strconv.Atoi(rest[1])
		if err != nil || rp.items[n] == nil {
			return notFound()
		}
		it := rp.items[n]
		switch {
		case len(rest) == 2 && m == http.MethodGet:
			return c.reply(http.StatusOK, s.issueJSON(rp, it))
		case len(rest) == 2 && m == http.MethodPatch:
			return s.editIssue(c, rp, it)
		case len(rest) == 3 && rest[2] == "comments" && m == http.MethodGet:
			var out []map[string]any
			for _, cm := range rp.comments {
				if cm.Number == n {
					out = append(out, s.commentJSON(rp, cm))
				}
			}
			return paginate(s, c, out)
		case len(rest) == 3 && rest[2] == "comments" && m == http.MethodPost:
			return s.createComment(c, rp, it)
		case len(rest) == 3 && rest[2] == "labels" && m == http.MethodPost:
			var in struct {
				Labels []string `json:"labels"`
			}
			if err := c.decode(&in); err != nil {
				return err
			}
			for _, l := range in.Labels {
				lb := rp.ensureLabel(l)
				if !slices.ContainsFunc(it.Labels, func(x string) bool { return strings.EqualFold(x, lb.Name) }) {
					it.Labels = append(it.Labels, lb.Name)
				}
			}
			it.UpdatedAt = s.now()
			return c.reply(http.StatusOK, s.labelsJSON(rp, it.Labels))
		}
	case len(rest) == 1 && rest[0] == "labels":
		switch m {
		case http.MethodGet:
			var out []map[string]any
			for _, l := range rp.labels {
				out = append(out, labelJSON(l))
			}
			return paginate(s, c, out)
		case http.MethodPost:
			var in struct {
				Name        string `json:"name"`
				Color       string `json:"color"`
				Description string `json:"description"`
			}
			if err := c.decode(&in); err != nil {
				return err
			}
			if in.Name == "" {
				return validation("Label", "name", "missing_field", "name is missing")
			}
			if rp.label(in.Name) != nil {
				return validation("Label", "name", "already_exists", "")
			}
			if in.Color == "" {
				in.Color = "ededed"
			}
			l := &Label{Name: in.Name, Color: strings.TrimPrefix(in.Color, "#"), Description: in.Description}
			rp.labels = append(rp.labels, l)
			return c.reply(http.StatusCreated, labelJSON(l))
		}
	case len(rest) == 2 && rest[0] == "labels" && m == http.MethodGet:
		l := rp.label(rest[1])
		if l == nil {
			return notFound()
		}
		return c.reply(http.StatusOK, labelJSON(l))
	case len(rest) >= 2 && rest[0] == "pulls" && m == http.MethodGet:
		n, err := strconv.Atoi(rest[1])
		if err != nil || rp.items[n] == nil || rp.items[n].pr == nil {
			return notFound()
		}
		it := rp.items[n]
		switch {
		case len(rest) == 2:
			return c.reply(http.StatusOK, s.pullJSON(rp, it))
		case len(rest) == 3 && rest[2] == "reviews":
			return s.listReviews(c, rp, n)
		case len(rest) == 3 && rest[2] == "files":
			out := []map[string]any{}
			for _, f := range it.pr.Files {
				out = append(out, fileJSON(f))
			}
			if len(out) > 3000 {
				out = out[:3000]
			}
			return paginate(s, c, out)
		}
	case len(rest) == 1 && rest[0] == "commits" && m == http.MethodGet:
		return s.listCommits(c, rp)
	case len(rest) == 3 && rest[0] == "commits" && rest[2] == "pulls" && m == http.MethodGet:
		sha := rest[1]
		var nums []int
		for n, it := range rp.items {
			if it.pr == nil {
				continue
			}
			if it.pr.HeadSHA == sha || (it.pr.Merged && it.pr.MergeCommitSHA == sha) || slices.Contains(it.pr.Commits, sha) {
				nums = append(nums, n)
			}
		}
		slices.Sort(nums)
		out := []map[string]any{}
		for _, n := range nums {
			out = append(out, s.pullJSON(rp, rp.items[n]))
		}
		return paginate(s, c, out)
	}
	return notFound()
}

func validation(resource, field, code, message string) *apiError {
	e := map[string]string{"resource": resource, "field": field, "code": code}
	if message != "" {
		e["message"] = message
	}
	return &apiError{status: http.StatusUnprocessableEntity, message: "Validation Failed", errs: []map[string]string{e}}
}

func (s *Server) listIssues(c *call, rp *repo) *apiError {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		return validation("Issue", "state", "invalid", "")
	}
	var labels []string
	if v := q.Get("labels"); v != "" {
		for _, l := range strings.Split(v, ",") {
			labels = append(labels, strings.TrimSpace(l))
		}
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return validation("Issue", "since", "invalid", "")
		}
		since = t
	}
	var items []*item
	for _, it := range rp.items {
		if state != "all" && it.State != state {
			continue
		}
		if !since.IsZero() && it.UpdatedAt.Before(since) {
			continue
		}
		ok := true
		for _, l := range labels {
			if !slices.ContainsFunc(it.Labels, func(x string) bool { return strings.EqualFold(x, l) }) {
				ok = false
			}
		}
		if ok {
			items = append(items, it)
		}
	}
	key := func(it *item) time.Time { return it.CreatedAt }
	if q.Get("sort") == "updated" {
		key = func(it *item) time.Time { return it.UpdatedAt }
	}
	desc := q.Get("direction") != "asc"
	slices.SortFunc(items, func(a, b *item) int {
		d := key(a).Compare(key(b))
		if d == 0 {
			d = a.Number - b.Number
		}
		if desc {
			return -d
		}
		return d
	})
	out := []map[string]any{}
	for _, it := range items {
		out = append(out, s.issueJSON(rp, it))
	}
	return paginate(s, c, out)
}

func (s *Server) createIssue(c *call, rp *repo) *apiError {
	var in struct {
		Title  *string  `json:"title"`
		Body   string   `json:"body"`
		Labels []string `json:"labels"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Title == nil || *in.Title == "" {
		return validation("Issue", "title", "missing_field", "")
	}
	if bodyTooLong(in.Body) {
		return validation("Issue", "body", "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxBodyLength))
	}
	now := s.now()
	it := &item{Issue: Issue{
		Number: rp.number(0), Title: *in.Title, Body: in.Body, State: "open", User: c.login,
		CreatedAt: now, UpdatedAt: now,
	}}
	for _, l := range in.Labels {
		it.Labels = append(it.Labels, rp.ensureLabel(l).Name)
	}
	rp.items[it.Number] = it
	return c.reply(http.StatusCreated, s.issueJSON(rp, it))
}

func (s *Server) editIssue(c *call, rp *repo, it *item) *apiError {
	var in struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Title != nil && *in.Title == "" {
		return validation("Issue", "title", "missing_field", "")
	}
	if in.Body != nil && bodyTooLong(*in.Body) {
		return validation("Issue", "body", "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxBodyLength))
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		return validation("Issue", "state", "invalid", "")
	}
	if in.StateReason != nil && !slices.Contains([]string{"completed", "not_planned", "reopened"}, *in.StateReason) {
		return validation("Issue", "state_reason", "invalid", "")
	}
	now := s.now()
	if in.Title != nil {
		it.Title = *in.Title
	}
	if in.Body != nil {
		it.Body = *in.Body
	}
	if in.Labels != nil {
		it.Labels = nil
		for _, l := range *in.Labels {
			it.Labels = append(it.Labels, rp.ensureLabel(l).Name)
		}
	}
	if in.State != nil && *in.State != it.State {
		if *in.State == "closed" {
			it.State, it.ClosedAt, it.ClosedBy, it.StateReason = "closed", now, c.login, "completed"
		} else {
			it.State, it.ClosedAt, it.ClosedBy, it.StateReason = "open", time.Time{}, "", "reopened"
		}
	}
	if in.StateReason != nil {
		it.StateReason = *in.StateReason
	}
	it.UpdatedAt = now
	return c.reply(http.StatusOK, s.issueJSON(rp, it))
}

func (s *Server) createComment(c *call, rp *repo, it *item) *apiError {
	var in struct {
		Body *string `json:"body"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Body == nil || *in.Body == "" {
		return validation("IssueComment", "body", "missing_field", "")
	}
	if bodyTooLong(*in.Body) {
		return validation("IssueComment", "body", "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxBodyLength))
	}
	now := s.now()
	cm := &Comment{ID: s.id(), Number: it.Number, Body: *in.Body, User: c.login, CreatedAt: now, UpdatedAt: now}
	rp.comments = append(rp.comments, cm)
	it.UpdatedAt = now
	return c.reply(http.StatusCreated, s.commentJSON(rp, cm))
}

func (s *Server) editComment(c *call, rp *repo, cm *Comment) *apiError {
	var in struct {
		Body *string `json:"body"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Body == nil || *in.Body == "" {
		return validation("IssueComment", "body", "missing_field", "")
	}
	if bodyTooLong(*in.Body) {
		return validation("IssueComment", "body", "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxBodyLength))
	}
	cm.Body, cm.UpdatedAt = *in.Body, s.now()
	return c.reply(http.StatusOK, s.commentJSON(rp, cm))
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func userJSON(login string) any {
	if login == "" {
		return nil
	}
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "type": typ}
}

func labelJSON(l *Label) map[string]any {
	return map[string]any{"name": l.Name, "color": l.Color, "description": l.Description, "default": false}
}

func (s *Server) labelsJSON(rp *repo, names []string) []map[string]any {
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, labelJSON(rp.ensureLabel(n)))
	}
	return out
}

func (s *Server) issueJSON(rp *repo, it *item) map[string]any {
	api := fmt.Sprintf("%s%s/repos/%s/issues/%d", s.ts.URL, Prefix, rp.full(), it.Number)
	kind := "issues"
	if it.pr != nil {
		kind = "pull"
	}
	m := map[string]any{
		"id":           int64(it.Number) + 500000,
		"number":       it.Number,
		"title":        it.Title,
		"body":         it.Body,
		"state":        it.State,
		"state_reason": nil,
		"labels":       s.labelsJSON(rp, it.Labels),
		"user":         userJSON(it.User),
		"closed_by":    userJSON(it.ClosedBy),
		"comments":     len(slices.DeleteFunc(slices.Clone(rp.comments), func(c *Comment) bool { return c.Number != it.Number })),
		"created_at":   ts(it.CreatedAt),
		"updated_at":   ts(it.UpdatedAt),
		"closed_at":    ts(it.ClosedAt),
		"url":          api,
		"comments_url": api + "/comments",
		"html_url":     fmt.Sprintf("%s/%s/%s/%d", s.ts.URL, rp.full(), kind, it.Number),
	}
	if it.StateReason != "" {
		m["state_reason"] = it.StateReason
	}
	if it.pr != nil {
		m["pull_request"] = map[string]any{
			"url":       fmt.Sprintf("%s%s/repos/%s/pulls/%d", s.ts.URL, Prefix, rp.full(), it.Number),
			"html_url":  m["html_url"],
			"merged_at": ts(it.mergedAt),
		}
	}
	return m
}

func (s *Server) commentJSON(rp *repo, cm *Comment) map[string]any {
	kind := "issues"
	if it := rp.items[cm.Number]; it != nil && it.pr != nil {
		kind = "pull"
	}
	return map[string]any{
		"id":         cm.ID,
		"body":       cm.Body,
		"user":       userJSON(cm.User),
		"created_at": ts(cm.CreatedAt),
		"updated_at": ts(cm.UpdatedAt),
		"url":        fmt.Sprintf("%s%s/repos/%s/issues/comments/%d", s.ts.URL, Prefix, rp.full(), cm.ID),
		"issue_url":  fmt.Sprintf("%s%s/repos/%s/issues/%d", s.ts.URL, Prefix, rp.full(), cm.Number),
		"html_url":   fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", s.ts.URL, rp.full(), kind, cm.Number, cm.ID),
	}
}

func (s *Server) pullJSON(rp *repo, it *item) map[string]any {
	pr := it.pr
	m := map[string]any{
		"number":           it.Number,
		"title":            it.Title,
		"body":             it.Body,
		"state":            it.State,
		"user":             userJSON(it.User),
		"head":             map[string]any{"ref": pr.HeadRef, "sha": pr.HeadSHA},
		"base":             map[string]any{"ref": pr.BaseRef, "sha": pr.BaseSHA},
		"merged":           pr.Merged,
		"merged_at":        ts(it.mergedAt),
		"merge_commit_sha": nil,
		"created_at":       ts(it.CreatedAt),
		"updated_at":       ts(it.UpdatedAt),
		"closed_at":        ts(it.ClosedAt),
		"changed_files":    len(pr.Files),
		"url":              fmt.Sprintf("%s%s/repos/%s/pulls/%d", s.ts.URL, Prefix, rp.full(), it.Number),
		"html_url":         fmt.Sprintf("%s/%s/pull/%d", s.ts.URL, rp.full(), it.Number),
	}
	if pr.MergeCommitSHA != "" {
		m["merge_commit_sha"] = pr.MergeCommitSHA
	}
	return m
}

func fileJSON(f File) map[string]any {
	status := f.Status
	if status == "" {
		status = "modified"
	}
	m := map[string]any{
		"filename":  f.Filename,
		"status":    status,
		"additions": f.Additions,
		"deletions": f.Deletions,
		"changes":   f.Additions + f.Deletions,
	}
	if f.PreviousFilename != "" {
		m["previous_filename"] = f.PreviousFilename
	}
	return m
}
