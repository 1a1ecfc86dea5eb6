package iamtest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// TestListVirtualMFADevices: ListVirtualMFADevices lists the account's
// virtual MFA devices by AssignmentStatus (Any when absent), a page of
// MaxItems at a time with Marker, as AWS documents: an assigned device
// carries its user and enable date, an unassigned one only its serial
// number; an unknown status is a ValidationError.
func TestListVirtualMFADevices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	a.PutUser(iamtest.User{Name: "alice", MFADevices: []iamtest.MFADevice{{}}})
	c, _ := clients(t, s, acctA)
	// bob's device was deactivated but never deleted; carol's was created
	// and never enabled (with a path, as the CLI allows).
	for _, d := range []struct{ name, path string }{{"bob", ""}, {"carol", "/people/"}} {
		in := &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(d.name)}
		if d.path != "" {
			in.Path = aws.String(d.path)
		}
		if _, err := c.CreateVirtualMFADevice(ctx, in, noRetry); err != nil {
			t.Fatal(err)
		}
	}
	const (
		alice = "arn:aws:iam::111122223333:mfa/alice"
		bob   = "arn:aws:iam::111122223333:mfa/bob"
		carol = "arn:aws:iam::111122223333:mfa/people/carol"
	)
	list := func(t *testing.T, status types.AssignmentStatusType) (out []string) {
		t.Helper()
		p := iam.NewListVirtualMFADevicesPaginator(c, &iam.ListVirtualMFADevicesInput{AssignmentStatus: status, MaxItems: aws.Int32(1)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, noRetry)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.VirtualMFADevices {
				s := aws.ToString(d.SerialNumber)
				if d.User != nil {
					s += " user=" + aws.ToString(d.User.UserName)
				}
				if d.EnableDate != nil {
					s += " enabled"
				}
				if d.Base32StringSeed != nil || d.QRCodePNG != nil {
					s += " with its seed"
				}
				out = append(out, s)
			}
		}
		return out
	}
	for _, tc := range []struct {
		status types.AssignmentStatusType
		want   []string
	}{
		{"", []string{alice + " user=alice enabled", bob, carol}},
		{types.AssignmentStatusTypeAny, []string{alice + " user=alice enabled", bob, carol}},
		{types.AssignmentStatusTypeAssigned, []string{alice + " user=alice enabled"}},
		{types.AssignmentStatusTypeUnassigned, []string{bob, carol}},
	} {
		if diff := cmp.Diff(tc.want, list(t, tc.status)); diff != "" {
			t.Errorf("AssignmentStatus %q (-want +got):\n%s", tc.status, diff)
		}
	}
	// Deactivating alice's device leaves it, unassigned.
	if _, err := c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(alice)}, noRetry); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{alice, bob, carol}, list(t, types.AssignmentStatusTypeUnassigned)); diff != "" {
		t.Errorf("unassigned after DeactivateMFADevice (-want +got):\n%s", diff)
	}
	_, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: "Orphaned"}, noRetry)
	if code, status := errCode(err); code != "ValidationError" || status != 400 {
		t.Errorf("unknown AssignmentStatus: %s %d, want ValidationError 400", code, status)
	}
}
