package iamtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

func TestOrganizationsShapes(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	o := s.CreateOrganization(acctA)
	o.AddAccount(iamtest.OrgAccount{ID: acctB, Name: "prod", OU: "Workloads/Prod", State: iamtest.OrgAccountSuspended, Tags: map[string]string{"environment": "production"}})
	c := organizations.NewFromConfig(s.AWSConfig(acctA), func(o *organizations.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()

	page, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Accounts) != 1 || page.NextToken == nil {
		t.Fatalf("first page: %d accounts, NextToken %v; want 1 and a token", len(page.Accounts), page.NextToken)
	}
	page, err = c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: page.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	got := page.Accounts[0]
	if got.State != orgtypes.AccountStateSuspended || got.Status != orgtypes.AccountStatusSuspended || got.JoinedTimestamp == nil ||
		aws.ToString(got.Arn) != "arn:aws:organizations::"+acctA+":account/"+o.ID()+"/"+acctB || page.NextToken != nil {
		t.Errorf("second page: %+v, NextToken %v", got, page.NextToken)
	}

	parents, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(acctB)})
	if err != nil {
		t.Fatal(err)
	}
	ou, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: parents.Parents[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: ou.OrganizationalUnit.Id})
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: up.Parents[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	gotTree := []string{string(parents.Parents[0].Type), aws.ToString(ou.OrganizationalUnit.Name), string(up.Parents[0].Type), string(root.Parents[0].Type), aws.ToString(root.Parents[0].Id)}
	if diff := cmp.Diff([]string{"ORGANIZATIONAL_UNIT", "Prod", "ORGANIZATIONAL_UNIT", "ROOT", o.RootID()}, gotTree); diff != "" {
		t.Errorf("OU tree (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"bad token", func() error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("forged")})
			return err
		}, "InvalidInputException"},
		{"too many results", func() error {
			_, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
			return err
		}, "InvalidInputException"},
		{"unknown child", func() error {
			_, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("999999999999")})
			return err
		}, "ChildNotFoundException"},
		{"unknown OU", func() error {
			_, err := c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-zzzz-00000000")})
			return err
		}, "OrganizationalUnitNotFoundException"},
		{"unknown tag target", func() error {
			_, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("999999999999")})
			return err
		}, "TargetNotFoundException"},
	}
	for _, tt := range tests {
		if code, _ := errCode(tt.call()); code != tt.want {
			t.Errorf("%s: error code %q, want %q", tt.name, code, tt.want)
		}
	}
}

// TestOrganizationsErrorBody checks the wire shape of an error: HTTP 400,
// the JSON 1.1 content type, and {"__type", "Message"}.
func TestOrganizationsErrorBody(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	c := organizations.NewFromConfig(s.AWSConfig(acctB), func(o *organizations.Options) {
		o.RetryMaxAttempts = 1
		o.HTTPClient = recordingClient{s.Client(), t}
	})
	_, err := c.ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) || !strings.Contains(notInUse.ErrorMessage(), "not a member of an organization") {
		t.Fatalf("error = %v, want AWSOrganizationsNotInUseException", err)
	}
}

type recordingClient struct {
	c *http.Client
	t *testing.T
}

func (r recordingClient) Do(req *http.Request) (*http.Response, error) {
	if got := req.Header.Get("X-Amz-Target"); got != "AWSOrganizationsV20161128.ListAccounts" {
		r.t.Errorf("X-Amz-Target = %q", got)
	}
	resp, err := r.c.Do(req)
	if err != nil {
		return nil, err
	}
	var body map[string]string
	raw := new(strings.Builder)
	if _, err := ioCopy(raw, resp); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw.String()), &body); err != nil {
		r.t.Errorf("error body %q is not JSON: %v", raw, err)
	}
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || body["__type"] != "AWSOrganizationsNotInUseException" || body["Message"] == "" {
		r.t.Errorf("error response: status %d, content type %q, body %v", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp.Body = readCloserOf(raw.String())
	return resp, nil
}

func ioCopy(w *strings.Builder, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(w, resp.Body)
}

func readCloserOf(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
