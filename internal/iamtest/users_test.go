package iamtest_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	c, _ := clients(t, s, acctA)

	created := must(c.CreateUser(ctx, &iam.CreateUserInput{
		UserName:            str("alice"),
		Path:                str("/people/"),
		PermissionsBoundary: str("arn:aws:iam::aws:policy/PowerUserAccess"),
		Tags:                []types.Tag{{Key: str("team"), Value: str("payments")}},
	}))(t)
	if got, want := aws.ToString(created.User.Arn), "arn:aws:iam::111122223333:user/people/alice"; got != want {
		t.Errorf("CreateUser ARN = %q, want %q", got, want)
	}
	if id := aws.ToString(created.User.UserId); len(id) != 21 || id[:4] != "AIDA" {
		t.Errorf("CreateUser UserId = %q, want AIDA followed by 17 characters", id)
	}

	got := must(c.GetUser(ctx, &iam.GetUserInput{UserName: str("ALICE")}))(t).User
	if diff := cmp.Diff("alice", aws.ToString(got.UserName)); diff != "" {
		t.Errorf("GetUser is case-insensitive (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("arn:aws:iam::aws:policy/PowerUserAccess", aws.ToString(got.PermissionsBoundary.PermissionsBoundaryArn)); diff != "" {
		t.Errorf("GetUser boundary (-want +got):\n%s", diff)
	}
	if got.CreateDate == nil {
		t.Error("GetUser CreateDate is nil")
	}

	must(c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str("email"), Value: str("a@example.com")}, {Key: str("team"), Value: str("risk")}}}))(t)
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: str("alice"), TagKeys: []string{"email"}}))(t)
	tags := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: str("alice")}))(t).Tags
	if diff := cmp.Diff([]iamtest.Tag{{Key: "team", Value: "risk"}}, fromSDKTags(tags)); diff != "" {
		t.Errorf("ListUserTags after TagUser/UntagUser (-want +got):\n%s", diff)
	}

	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: str("alice"), NewUserName: str("alice2"), NewPath: str("/staff/")}))(t)
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: str("alice")}); !isNoSuchEntity(err) {
		t.Errorf("GetUser(old name) after rename: err = %v, want NoSuchEntity", err)
	}
	renamed := must(c.GetUser(ctx, &iam.GetUserInput{UserName: str("alice2")}))(t).User
	if got, want := aws.ToString(renamed.Arn), "arn:aws:iam::111122223333:user/staff/alice2"; got != want {
		t.Errorf("renamed ARN = %q, want %q", got, want)
	}

	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice2")}))(t)
	if _, ok := s.Account(acctA).User("alice2"); ok {
		t.Error("user still exists after DeleteUser")
	}
}

func fromSDKTags(tags []types.Tag) []iamtest.Tag {
	var out []iamtest.Tag
	for _, t := range tags {
		out = append(out, iamtest.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}

func isNoSuchEntity(err error) bool {
	var e *types.NoSuchEntityException
	return errors.As(err, &e)
}

func TestGroupsAndPolicies(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	c, _ := clients(t, s, acctA)
	custom := "arn:aws:iam::111122223333:policy/teams/boundary"
	s.Account(acctA).CreatePolicy(custom)

	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: str("developers"), Path: str("/teams/")}))(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("bob")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: str("developers"), UserName: str("bob")}))(t)
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: str("developers"), PolicyArn: str("arn:aws:iam::aws:policy/PowerUserAccess")}))(t)
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("bob"), PolicyArn: str(custom)}))(t)
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: str("developers"), PolicyName: str("deny-billing"), PolicyDocument: str(allowAll)}))(t)
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("bob"), PolicyName: str("s3-read"), PolicyDocument: str(allowAll)}))(t)
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: str("bob"), PermissionsBoundary: str(custom)}))(t)

	group := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: str("developers")}))(t)
	if got, want := aws.ToString(group.Group.Arn), "arn:aws:iam::111122223333:group/teams/developers"; got != want {
		t.Errorf("group ARN = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"bob"}, userNames(group.Users)); diff != "" {
		t.Errorf("GetGroup members (-want +got):\n%s", diff)
	}
	forUser := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: str("bob")}))(t)
	if len(forUser.Groups) != 1 || aws.ToString(forUser.Groups[0].GroupName) != "developers" {
		t.Errorf("ListGroupsForUser = %v, want [developers]", forUser.Groups)
	}
	ap := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: str("bob")}))(t)
	if diff := cmp.Diff([]string{"boundary"}, attachedNames(ap.AttachedPolicies)); diff != "" {
		t.Errorf("ListAttachedUserPolicies (-want +got):\n%s", diff)
	}
	gp := must(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: str("developers")}))(t)
	if diff := cmp.Diff([]string{"PowerUserAccess"}, attachedNames(gp.AttachedPolicies)); diff != "" {
		t.Errorf("ListAttachedGroupPolicies (-want +got):\n%s", diff)
	}
	up := must(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: str("bob")}))(t)
	if diff := cmp.Diff([]string{"s3-read"}, up.PolicyNames); diff != "" {
		t.Errorf("ListUserPolicies (-want +got):\n%s", diff)
	}
	gpn := must(c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: str("developers")}))(t)
	if diff := cmp.Diff([]string{"deny-billing"}, gpn.PolicyNames); diff != "" {
		t.Errorf("ListGroupPolicies (-want +got):\n%s", diff)
	}

	// Documents come back URL-encoded, exactly as IAM returns them.
	doc := must(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: str("bob"), PolicyName: str("s3-read")}))(t)
	if raw := aws.ToString(doc.PolicyDocument); raw == allowAll {
		t.Error("GetUserPolicy document is not URL-encoded")
	}
	decoded, err := url.QueryUnescape(aws.ToString(doc.PolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(allowAll, decoded); diff != "" {
		t.Errorf("GetUserPolicy decoded document (-want +got):\n%s", diff)
	}
	gdoc := must(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: str("developers"), PolicyName: str("deny-billing")}))(t)
	if decoded, _ := url.PathUnescape(aws.ToString(gdoc.PolicyDocument)); decoded != allowAll {
		t.Errorf("GetGroupPolicy decoded document = %q, want %q", decoded, allowAll)
	}

	// Tear down in the only order IAM accepts.
	must(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: str("bob")}))(t)
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: str("bob"), PolicyName: str("s3-read")}))(t)
	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: str("bob"), PolicyArn: str(custom)}))(t)
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: str("developers"), UserName: str("bob")}))(t)
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("bob")}))(t)
	must(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: str("developers"), PolicyName: str("deny-billing")}))(t)
	must(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: str("developers"), PolicyArn: str("arn:aws:iam::aws:policy/PowerUserAccess")}))(t)
	must(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: str("developers"), NewGroupName: str("devs")}))(t)
	must(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: str("devs")}))(t)
	snap := s.Account(acctA).Snapshot()
	if len(snap.Users) != 0 || len(snap.Groups) != 0 {
		t.Errorf("after teardown: %d users, %d groups remain", len(snap.Users), len(snap.Groups))
	}
}

func userNames(users []types.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, aws.ToString(u.UserName))
	}
	return out
}

func attachedNames(ps []types.AttachedPolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.PolicyName))
	}
	return out
}
