package iamtest

import (
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func createGroup(r *request) (output, *apiError) {
	name, err := r.required("GroupName")
	if err != nil {
		return nil, err
	}
	if err := validName(name, 128); err != nil {
		return nil, err
	}
	path, err := r.pathParam()
	if err != nil {
		return nil, err
	}
	if _, ok := r.acct.groups[key(name)]; ok {
		return nil, alreadyExists("Group with name %s already exists.", name)
	}
	g := &Group{
		Name:           name,
		Path:           path,
		ID:             r.srv.newID("AGPA"),
		ARN:            r.acct.arn("group", path, name),
		CreateDate:     r.now,
		InlinePolicies: map[string]string{},
	}
	r.acct.groups[key(name)] = g
	r.acct.created("group", key(name))
	sg := sdkGroup(g)
	return &iam.CreateGroupOutput{Group: &sg}, nil
}

func getGroup(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	members := slices.Clone(g.Members)
	slices.SortFunc(members, func(x, y string) int { return strings.Compare(key(x), key(y)) })
	page, marker, truncated, err := paginate(r, members)
	if err != nil {
		return nil, err
	}
	sg := sdkGroup(g)
	out := &iam.GetGroupOutput{Group: &sg, Users: make([]types.User, 0, len(page)), Marker: marker, IsTruncated: truncated}
	for _, m := range page {
		out.Users = append(out.Users, sdkUser(r.acct.users[key(m)], false))
	}
	return out, nil
}

func updateGroup(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	newName, newPath := r.get("NewGroupName"), r.get("NewPath")
	if newPath != "" {
		if err := validPath(newPath); err != nil {
			return nil, err
		}
	}
	if newName != "" {
		if err := validName(newName, 128); err != nil {
			return nil, err
		}
		if other, ok := r.acct.groups[key(newName)]; ok && other != g {
			return nil, alreadyExists("Group with name %s already exists.", newName)
		}
	}
	if newPath != "" {
		g.Path = newPath
	}
	if newName != "" && newName != g.Name {
		old := g.Name
		delete(r.acct.groups, key(old))
		g.Name = newName
		r.acct.groups[key(newName)] = g
		for _, m := range g.Members {
			u := r.acct.users[key(m)]
			for i, n := range u.Groups {
				if n == old {
					u.Groups[i] = newName
				}
			}
		}
	}
	g.ARN = r.acct.arn("group", g.Path, g.Name)
	return nil, nil
}

func deleteGroup(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	switch {
	case len(g.Members) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove users from group first.")
	case len(g.InlinePolicies) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(g.ManagedPolicies) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	delete(r.acct.groups, key(g.Name))
	return nil, nil
}

func listGroups(r *request) (output, *apiError) {
	page, marker, truncated, err := paginate(r, sortedGroups(r.acct, r.get("PathPrefix")))
	if err != nil {
		return nil, err
	}
	out := &iam.ListGroupsOutput{Groups: make([]types.Group, len(page)), Marker: marker, IsTruncated: truncated}
	for i, g := range page {
		out.Groups[i] = sdkGroup(g)
	}
	return out, nil
}

func addUserToGroup(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	if slices.Contains(u.Groups, g.Name) {
		r.noop = true
		return nil, nil
	}
	if len(u.Groups) >= maxGroupsPerUser {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
	}
	u.Groups = append(u.Groups, g.Name)
	g.Members = append(g.Members, u.Name)
	return nil, nil
}

func removeUserFromGroup(r *request) (output, *apiError) {
	g, err := r.group()
	if err != nil {
		return nil, err
	}
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(u.Groups, g.Name) {
		return nil, noSuchEntity("The user with name %s cannot be found in group %s.", u.Name, g.Name)
	}
	u.Groups = slices.DeleteFunc(u.Groups, func(n string) bool { return n == g.Name })
	g.Members = slices.DeleteFunc(g.Members, func(n string) bool { return n == u.Name })
	return nil, nil
}

func listGroupsForUser(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	groups := make([]*Group, 0, len(u.Groups))
	for _, n := range u.Groups {
		groups = append(groups, r.acct.groups[key(n)])
	}
	sort.Slice(groups, func(i, j int) bool { return key(groups[i].Name) < key(groups[j].Name) })
	page, marker, truncated, err := paginate(r, groups)
	if err != nil {
		return nil, err
	}
	out := &iam.ListGroupsForUserOutput{Groups: make([]types.Group, len(page)), Marker: marker, IsTruncated: truncated}
	for i, g := range page {
		out.Groups[i] = sdkGroup(g)
	}
	return out, nil
}
