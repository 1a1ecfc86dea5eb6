package iamtest

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM quotas enforced by the fake (the documented defaults).
const (
	maxTags                 = 50
	maxManagedPolicies      = 10
	maxGroupsPerUser        = 10
	maxAccessKeys           = 2
	maxUserInlineSize       = 2048
	maxGroupInlineSize      = 5120
	maxMFADevicesPerUser    = 8
	maxSSHKeys              = 5
	maxSigningCertificates  = 2
	maxServiceCredsPerUser  = 2
	ambientUserName         = "iamtest"
	defaultPolicyVersionID  = "v1"
	defaultAssumeRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
)

// handlers maps every supported action to its implementation.
var handlers = map[string]handler{
	"CreateUser":                      createUser,
	"GetUser":                         getUser,
	"UpdateUser":                      updateUser,
	"DeleteUser":                      deleteUser,
	"ListUsers":                       listUsers,
	"TagUser":                         tagUser,
	"UntagUser":                       untagUser,
	"ListUserTags":                    listUserTags,
	"CreateGroup":                     createGroup,
	"GetGroup":                        getGroup,
	"UpdateGroup":                     updateGroup,
	"DeleteGroup":                     deleteGroup,
	"ListGroups":                      listGroups,
	"AddUserToGroup":                  addUserToGroup,
	"RemoveUserFromGroup":             removeUserFromGroup,
	"ListGroupsForUser":               listGroupsForUser,
	"AttachUserPolicy":                attachUserPolicy,
	"DetachUserPolicy":                detachUserPolicy,
	"ListAttachedUserPolicies":        listAttachedUserPolicies,
	"AttachGroupPolicy":               attachGroupPolicy,
	"DetachGroupPolicy":               detachGroupPolicy,
	"ListAttachedGroupPolicies":       listAttachedGroupPolicies,
	"PutUserPolicy":                   putUserPolicy,
	"GetUserPolicy":                   getUserPolicy,
	"DeleteUserPolicy":                deleteUserPolicy,
	"ListUserPolicies":                listUserPolicies,
	"PutGroupPolicy":                  putGroupPolicy,
	"GetGroupPolicy":                  getGroupPolicy,
	"DeleteGroupPolicy":               deleteGroupPolicy,
	"ListGroupPolicies":               listGroupPolicies,
	"PutUserPermissionsBoundary":      putUserPermissionsBoundary,
	"DeleteUserPermissionsBoundary":   deleteUserPermissionsBoundary,
	"CreateLoginProfile":              createLoginProfile,
	"GetLoginProfile":                 getLoginProfile,
	"UpdateLoginProfile":              updateLoginProfile,
	"DeleteLoginProfile":              deleteLoginProfile,
	"CreateAccessKey":                 createAccessKey,
	"ListAccessKeys":                  listAccessKeys,
	"UpdateAccessKey":                 updateAccessKey,
	"DeleteAccessKey":                 deleteAccessKey,
	"GetAccessKeyLastUsed":            getAccessKeyLastUsed,
	"ListMFADevices":                  listMFADevices,
	"CreateVirtualMFADevice":          createVirtualMFADevice,
	"EnableMFADevice":                 enableMFADevice,
	"DeactivateMFADevice":             deactivateMFADevice,
	"DeleteVirtualMFADevice":          deleteVirtualMFADevice,
	"ListVirtualMFADevices":           listVirtualMFADevices,
	"ListSSHPublicKeys":               listSSHPublicKeys,
	"UploadSSHPublicKey":              uploadSSHPublicKey,
	"DeleteSSHPublicKey":              deleteSSHPublicKey,
	"ListSigningCertificates":         listSigningCertificates,
	"UploadSigningCertificate":        uploadSigningCertificate,
	"DeleteSigningCertificate":        deleteSigningCertificate,
	"ListServiceSpecificCredentials":  listServiceSpecificCredentials,
	"CreateServiceSpecificCredential": createServiceSpecificCredential,
	"DeleteServiceSpecificCredential": deleteServiceSpecificCredential,
	"GetAccountAuthorizationDetails":  getAccountAuthorizationDetails,
	"GenerateCredentialReport":        generateCredentialReport,
	"GetCredentialReport":             getCredentialReport,
	"GetAccountPasswordPolicy":        getAccountPasswordPolicy,
	"UpdateAccountPasswordPolicy":     updateAccountPasswordPolicy,
	"DeleteAccountPasswordPolicy":     deleteAccountPasswordPolicy,
	"CreatePolicy":                    createPolicy,
	"GetPolicy":                       getPolicy,
	"GetPolicyVersion":                getPolicyVersion,
	"ListPolicies":                    listPolicies,
	"AssumeRole":                      assumeRole,
	"GetCallerIdentity":               getCallerIdentity,
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func sdkTags(tags []Tag) []types.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]types.Tag, len(tags))
	for i, t := range tags {
		out[i] = types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)}
	}
	return out
}

func boundary(arn string) *types.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &types.AttachedPermissionsBoundary{
		PermissionsBoundaryArn:  aws.String(arn),
		PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy,
	}
}

// sdkUser is the User shape; tags are only included where IAM includes them
// (GetUser, CreateUser), not in ListUsers or GetGroup.
func sdkUser(u *User, withTags bool) types.User {
	out := types.User{
		Arn:                 aws.String(u.ARN),
		CreateDate:          timePtr(u.CreateDate),
		Path:                aws.String(u.Path),
		UserId:              aws.String(u.ID),
		UserName:            aws.String(u.Name),
		PasswordLastUsed:    timePtr(u.PasswordLastUsed),
		PermissionsBoundary: boundary(u.PermissionsBoundary),
	}
	if withTags {
		out.Tags = sdkTags(u.Tags)
	}
	return out
}

func sdkGroup(g *Group) types.Group {
	return types.Group{
		Arn:        aws.String(g.ARN),
		CreateDate: timePtr(g.CreateDate),
		GroupId:    aws.String(g.ID),
		GroupName:  aws.String(g.Name),
		Path:       aws.String(g.Path),
	}
}

func policyName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func attached(arns []string) []types.AttachedPolicy {
	out := make([]types.AttachedPolicy, len(arns))
	for i, a := range arns {
		out[i] = types.AttachedPolicy{PolicyArn: aws.String(a), PolicyName: aws.String(policyName(a))}
	}
	return out
}

// user finds the user named by UserName (or the caller when optional and
// absent).
func (r *request) user(optional bool) (*User, *apiError) {
	name := r.get("UserName")
	if name == "" {
		if !optional {
			return nil, validationError("1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null")
		}
		if r.caller.role != "" {
			return nil, validationError("Must specify userName when calling with non-User credentials")
		}
		name = ambientUserName
	}
	u, ok := r.acct.users[key(name)]
	if !ok || r.acct.propagating("user", key(name)) {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func (r *request) group() (*Group, *apiError) {
	name, err := r.required("GroupName")
	if err != nil {
		return nil, err
	}
	g, ok := r.acct.groups[key(name)]
	if !ok || r.acct.propagating("group", key(name)) {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

func (r *request) pathParam() (string, *apiError) {
	p := r.get("Path")
	if p == "" {
		return "/", nil
	}
	return p, validPath(p)
}

func validTags(existing, add []Tag) ([]Tag, *apiError) {
	out := slices.Clone(existing)
	seen := map[string]bool{}
	for _, t := range add {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, invalidInput("Tag keys must be 1 to 128 characters and values at most 256 characters.")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, invalidInput("User-defined tag keys cannot begin with the reserved prefix 'aws:'.")
		}
		if seen[strings.ToLower(t.Key)] {
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
		if i := slices.IndexFunc(out, func(o Tag) bool { return strings.EqualFold(o.Key, t.Key) }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

func createUser(r *request) (output, *apiError) {
	name, err := r.required("UserName")
	if err != nil {
		return nil, err
	}
	if err := validName(name, 64); err != nil {
		return nil, err
	}
	path, err := r.pathParam()
	if err != nil {
		return nil, err
	}
	tags, err := validTags(nil, r.tags("Tags"))
	if err != nil {
		return nil, err
	}
	pb := r.get("PermissionsBoundary")
	if pb != "" && !r.acct.policyExists(pb) {
		return nil, noSuchEntity("Scope ARN: %s does not exist or is not attachable.", pb)
	}
	if _, ok := r.acct.users[key(name)]; ok {
		return nil, alreadyExists("User with name %s already exists.", name)
	}
	u := &User{
		Name:                name,
		Path:                path,
		ID:                  r.srv.newID("AIDA"),
		ARN:                 r.acct.arn("user", path, name),
		CreateDate:          r.now,
		Tags:                tags,
		InlinePolicies:      map[string]string{},
		PermissionsBoundary: pb,
	}
	r.acct.users[key(name)] = u
	r.acct.created("user", key(name))
	su := sdkUser(u, true)
	return &iam.CreateUserOutput{User: &su}, nil
}

func getUser(r *request) (output, *apiError) {
	if r.get("UserName") == "" && r.caller.role == "" {
		if _, ok := r.acct.users[ambientUserName]; !ok {
			return &iam.GetUserOutput{User: &types.User{
				Arn:      aws.String(r.caller.arn()),
				Path:     aws.String("/"),
				UserId:   aws.String("AIDAIAMTEST" + r.acct.id[2:]),
				UserName: aws.String(ambientUserName),
			}}, nil
		}
	}
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	su := sdkUser(u, true)
	return &iam.GetUserOutput{User: &su}, nil
}

func updateUser(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	newName, newPath := r.get("NewUserName"), r.get("NewPath")
	if newPath != "" {
		if err := validPath(newPath); err != nil {
			return nil, err
		}
	}
	if newName != "" {
		if err := validName(newName, 64); err != nil {
			return nil, err
		}
		if other, ok := r.acct.users[key(newName)]; ok && other != u {
			return nil, alreadyExists("User with name %s already exists.", newName)
		}
	}
	if newPath != "" {
		u.Path = newPath
	}
	if newName != "" && newName != u.Name {
		old := u.Name
		delete(r.acct.users, key(old))
		u.Name = newName
		r.acct.users[key(newName)] = u
		for _, gname := range u.Groups {
			g := r.acct.groups[key(gname)]
			for i, m := range g.Members {
				if m == old {
					g.Members[i] = newName
				}
			}
		}
		for _, d := range r.acct.mfa {
			if d.User == old {
				d.User = newName
			}
		}
	}
	u.ARN = r.acct.arn("user", u.Path, u.Name)
	return nil, nil
}

func deleteUser(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	switch {
	case u.LoginProfile != nil:
		return nil, deleteConflict("Cannot delete entity, must delete login profile first.")
	case len(u.AccessKeys) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete access keys first.")
	case len(u.SigningCertificates) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete signing certificates first.")
	case len(u.SSHPublicKeys) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete SSH public keys first.")
	case len(u.ServiceSpecificCredentials) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete service specific credentials first.")
	case len(u.MFADevices) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete MFA device first.")
	case len(u.InlinePolicies) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(u.ManagedPolicies) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	case len(u.Groups) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove user from all groups first.")
	}
	r.acct.removeUser(u)
	return nil, nil
}

// sortedUsers lists users by case-insensitive name (IAM's listing order),
// keeping those whose path starts with prefix.
func sortedUsers(a *Account, prefix string) []*User {
	return sortedByKey(a.users, func(u *User) bool { return strings.HasPrefix(u.Path, prefix) })
}

func sortedGroups(a *Account, prefix string) []*Group {
	return sortedByKey(a.groups, func(g *Group) bool { return strings.HasPrefix(g.Path, prefix) })
}

// sortedByKey returns the values of m whose keep is true, ordered by their
// (lower-case) map keys.
func sortedByKey[V any](m map[string]V, keep func(V) bool) []V {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if keep(v) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func listUsers(r *request) (output, *apiError) {
	page, marker, truncated, err := paginate(r, sortedUsers(r.acct, r.get("PathPrefix")))
	if err != nil {
		return nil, err
	}
	out := &iam.ListUsersOutput{Users: make([]types.User, len(page)), Marker: marker, IsTruncated: truncated}
	for i, u := range page {
		out.Users[i] = sdkUser(u, false)
	}
	return out, nil
}

func tagUser(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	tags, err := validTags(u.Tags, r.tags("Tags"))
	if err != nil {
		return nil, err
	}
	u.Tags = tags
	return nil, nil
}

func untagUser(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	for _, k := range r.list("TagKeys") {
		n := len(u.Tags)
		u.Tags = slices.DeleteFunc(u.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) })
		if len(u.Tags) == n {
			r.noop = true // IAM accepts a key the user does not have
		}
	}
	return nil, nil
}

func listUserTags(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, u.Tags)
	if err != nil {
		return nil, err
	}
	tags := sdkTags(page)
	if tags == nil {
		tags = []types.Tag{}
	}
	return &iam.ListUserTagsOutput{Tags: tags, Marker: marker, IsTruncated: truncated}, nil
}
