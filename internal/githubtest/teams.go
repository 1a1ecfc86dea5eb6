package githubtest

import (
	"fmt"
	"net/http"
	"strings"
)

// TeamMember is a user's membership of a team.
type TeamMember struct {
	Login string
	// Role is "member" or "maintainer"; empty means "member".
	Role string
	// State is "active" or "pending" (invited, not yet accepted); empty
	// means "active".
	State string
}

type team struct {
	id      int64
	slug    string
	members map[string]TeamMember // by lower-case login
}

type org struct {
	login string
	teams map[string]*team // by slug
}

// AddTeamMember adds a member to an organization's team, creating both when
// missing. Organization logins and usernames are matched case-insensitively,
// as on GitHub; team slugs are lower case.
func (s *Server) AddTeamMember(orgLogin, slug string, m TeamMember) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teamLocked(orgLogin, slug, true)
	if m.Role == "" {
		m.Role = "member"
	}
	if m.State == "" {
		m.State = "active"
	}
	t.members[strings.ToLower(m.Login)] = m
}

// AddTeam creates an organization's team with no members.
func (s *Server) AddTeam(orgLogin, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teamLocked(orgLogin, slug, true)
}

func (s *Server) teamLocked(orgLogin, slug string, create bool) *team {
	o := s.orgs[strings.ToLower(orgLogin)]
	if o == nil {
		if !create {
			return nil
		}
		o = &org{login: orgLogin, teams: map[string]*team{}}
		s.orgs[strings.ToLower(orgLogin)] = o
	}
	t := o.teams[strings.ToLower(slug)]
	if t == nil && create {
		t = &team{id: s.id(), slug: strings.ToLower(slug), members: map[string]TeamMember{}}
		o.teams[t.slug] = t
	}
	return t
}

// routeOrgs serves GET /orgs/{org}/teams/{team_slug} and
// GET /orgs/{org}/teams/{team_slug}/memberships/{username}. A token without
// organization read permission is refused: an app's token with 403 (and
// X-Accepted-GitHub-Permissions: members=read), a person's token with 404,
// because the team is invisible to it.
func (s *Server) routeOrgs(c *call, sg []string) *apiError {
	if c.r.Method != http.MethodGet || len(sg) < 4 || sg[2] != "teams" || (len(sg) != 4 && (len(sg) != 6 || sg[4] != "memberships")) {
		return notFound()
	}
	if !c.id.OrgRead {
		if c.id.App != nil {
			return c.forbidden("members=read")
		}
		return notFound()
	}
	t := s.teamLocked(sg[1], sg[3], false)
	if t == nil {
		return notFound()
	}
	o := s.orgs[strings.ToLower(sg[1])]
	api := fmt.Sprintf("%s%s/orgs/%s/teams/%s", s.ts.URL, Prefix, o.login, t.slug)
	if len(sg) == 4 {
		return c.reply(http.StatusOK, map[string]any{
			"id": t.id, "node_id": fmt.Sprintf("T_%d", t.id), "name": t.slug, "slug": t.slug,
			"privacy": "closed", "permission": "pull", "url": api,
			"html_url":    fmt.Sprintf("%s/orgs/%s/teams/%s", s.ts.URL, o.login, t.slug),
			"members_url": api + "/members{/member}", "repositories_url": api + "/repos", "parent": nil,
		})
	}
	m, ok := t.members[strings.ToLower(sg[5])]
	if !ok {
		return notFound()
	}
	return c.reply(http.StatusOK, map[string]any{
		"url": fmt.Sprintf("%s/memberships/%s", api, m.Login), "role": m.Role, "state": m.State,
	})
}
