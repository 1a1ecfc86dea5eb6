package awsiam

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// TestReadCredentialReport: against the IAM fake, the reader waits for the
// report to be generated (the first GenerateCredentialReport only starts
// it), reads it once, and turns every row into what the user has: console
// password and its use, MFA, and both access keys with their dates. A role
// allowed exactly CredentialReportPermissions may do all of it.
func TestReadCredentialReport(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	s := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { return now }))
	const id = "111122223333"
	a := s.Account(id)
	day := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	a.PutUser(iamtest.User{Name: "alice", CreateDate: day(400),
		LoginProfile: &iamtest.LoginProfile{CreateDate: day(390)}, PasswordLastUsed: day(2),
		MFADevices: make([]iamtest.MFADevice, 1),
		AccessKeys: []iamtest.AccessKey{
			{CreateDate: day(200), LastUsed: day(1), LastUsedRegion: "eu-west-1", LastUsedService: "s3"},
			{CreateDate: day(10), Status: "Inactive"},
		}})
	// Never signed in: the report says no_information for the password.
	a.PutUser(iamtest.User{Name: "bob", CreateDate: day(30), LoginProfile: &iamtest.LoginProfile{CreateDate: day(30), PasswordChanged: day(5)}})
	// No password, no keys: N/A everywhere.
	a.PutUser(iamtest.User{Name: "ci", CreateDate: day(100)})
	a.AddRole("roster-apply", CredentialReportPermissions...)
	acct := connectTo(t, s, id, "roster-apply")
	s.ResetCalls()

	got, err := ReadCredentialReport(context.Background(), acct, ReportOptions{Interval: -1})
	if err != nil {
		t.Fatalf("ReadCredentialReport: %v", err)
	}
	want := &state.CredentialReport{
		GeneratedAt: now,
		Users: []state.CredentialReportUser{
			{
				User: "alice", ARN: "arn:aws:iam::" + id + ":user/alice", Created: day(400),
				PasswordEnabled: true, PasswordLastUsed: at("2026-11-18T09:30:00Z"), PasswordLastChanged: at("2025-10-26T09:30:00Z"),
				MFAActive: true,
				AccessKeys: []state.CredentialReportKey{
					{Number: 1, Active: true, LastRotated: day(200), LastUsed: at("2026-11-19T09:30:00Z")},
					{Number: 2, Active: false, LastRotated: day(10)},
				},
			},
			{
				User: "bob", ARN: "arn:aws:iam::" + id + ":user/bob", Created: day(30),
				PasswordEnabled: true, PasswordLastChanged: at("2026-11-15T09:30:00Z"),
			},
			{User: "ci", ARN: "arn:aws:iam::" + id + ":user/ci", Created: day(100)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("credential report (-want +got):\n%s", diff)
	}
	calls := s.Calls()[id]
	if calls["GenerateCredentialReport"] != 2 || calls["GetCredentialReport"] != 1 {
		t.Errorf("calls = %v, want GenerateCredentialReport twice (STARTED, then COMPLETE) and GetCredentialReport once", calls)
	}

	// A second read within four hours reuses the report IAM already has.
	s.ResetCalls()
	if _, err := ReadCredentialReport(context.Background(), acct, ReportOptions{Interval: -1}); err != nil {
		t.Fatal(err)
	}
	if calls := s.Calls()[id]; calls["GenerateCredentialReport"] != 1 || calls["GetCredentialReport"] != 1 {
		t.Errorf("second read calls = %v, want one of each", calls)
	}
}

// TestReadCredentialReportGivesUp: when the report is not ready within the
// attempts, the reader stops and says so instead of polling forever.
func TestReadCredentialReportGivesUp(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	s.Account(id).PutUser(iamtest.User{Name: "alice"})
	acct := connectTo(t, s, id, "")
	_, err := ReadCredentialReport(context.Background(), acct, ReportOptions{Attempts: 1, Interval: -1})
	if !errors.Is(err, ErrReportTimeout) {
		t.Fatalf("error = %v, want ErrReportTimeout", err)
	}
	if !strings.Contains(err.Error(), "environment env-1111") {
		t.Errorf("error %q does not name the environment", err)
	}
}

// TestReadCredentialReportDenied: a role without the permissions gets an
// error naming the one to grant.
func TestReadCredentialReportDenied(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	s.Account(id).AddRole("roster-plan", ReadPermissions...)
	acct := connectTo(t, s, id, "roster-plan")
	_, err := ReadCredentialReport(context.Background(), acct, ReportOptions{Interval: -1})
	var ad *AccessDeniedError
	if !errors.As(err, &ad) || ad.Action != "iam:GenerateCredentialReport" {
		t.Fatalf("error = %v, want access denied for iam:GenerateCredentialReport", err)
	}
}

const reportHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"

// TestParseCredentialReport covers the values AWS writes: N/A,
// no_information and not_supported are "nothing", the root row is skipped,
// and anything unexpected is an error naming the line and column.
func TestParseCredentialReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    *state.CredentialReport
		wantErr string
	}{
		{
			name: "root, N/A and no_information",
			content: reportHeader +
				"<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
				"zoe,arn:aws:iam::111122223333:user/zoe,2024-05-01T10:00:00+00:00,true,no_information,2024-05-01T10:00:00+00:00,N/A,false,true,2024-05-02T10:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
				"amir,arn:aws:iam::111122223333:user/ops/amir,2025-01-01T00:00:00+00:00,false,2025-02-01T00:00:00+00:00,N/A,N/A,false,false,2025-01-01T00:00:00+00:00,2025-03-01T00:00:00+00:00,us-east-1,iam,true,2025-06-01T00:00:00+00:00,2026-11-19T00:00:00+00:00,eu-west-1,s3,false,N/A,false,N/A\n",
			want: &state.CredentialReport{Users: []state.CredentialReportUser{
				{
					User: "amir", ARN: "arn:aws:iam::111122223333:user/ops/amir", Created: *at("2025-01-01T00:00:00Z"),
					PasswordLastUsed: at("2025-02-01T00:00:00Z"),
					AccessKeys: []state.CredentialReportKey{
						{Number: 1, LastRotated: *at("2025-01-01T00:00:00Z"), LastUsed: at("2025-03-01T00:00:00Z")},
						{Number: 2, Active: true, LastRotated: *at("2025-06-01T00:00:00Z"), LastUsed: at("2026-11-19T00:00:00Z")},
					},
				},
				{
					User: "zoe", ARN: "arn:aws:iam::111122223333:user/zoe", Created: *at("2024-05-01T10:00:00Z"),
					PasswordEnabled: true, PasswordLastChanged: at("2024-05-01T10:00:00Z"),
					AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: *at("2024-05-02T10:00:00Z")}},
				},
			}},
		},
		{
			name:    "columns in another order, unknown ones ignored",
			content: "arn,user,new_column,mfa_active,password_enabled,password_last_used,password_last_changed,user_creation_time,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date\narn:aws:iam::1:user/x,x,whatever,true,false,N/A,N/A,2026-01-01T00:00:00+00:00,false,N/A,N/A,false,N/A,N/A\n",
			want: &state.CredentialReport{Users: []state.CredentialReportUser{
				{User: "x", ARN: "arn:aws:iam::1:user/x", Created: *at("2026-01-01T00:00:00Z"), MFAActive: true},
			}},
		},
		{name: "header only", content: reportHeader, want: &state.CredentialReport{Users: []state.CredentialReportUser{}}},
		{name: "missing column", content: "user,arn\nx,y\n", wantErr: `no column "user_creation_time"`},
		{
			name:    "bad time",
			content: reportHeader + "zoe,arn,yesterday,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			wantErr: `line 2, column user_creation_time: unexpected value "yesterday"`,
		},
		{
			name:    "bad boolean",
			content: reportHeader + "zoe,arn,N/A,yes,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			wantErr: `line 2, column password_enabled: unexpected value "yes"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCredentialReport([]byte(tc.content))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCredentialReportPermissionsPublished: the plan role policy in
// docs/permissions.md, which drift assumes, allows what the reader calls, and
// the apply role's does not (apply never reads the report).
func TestCredentialReportPermissionsPublished(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	section := func(heading string) string {
		_, s, ok := strings.Cut(string(doc), "\n## "+heading+"\n")
		if !ok {
			t.Fatalf("docs/permissions.md has no %q section", heading)
		}
		s, _, _ = strings.Cut(s, "\n## ")
		return s
	}
	plan, apply := section("Plan role"), section("Apply role")
	for _, action := range CredentialReportPermissions {
		if !strings.Contains(plan, `"`+action+`"`) {
			t.Errorf("the plan role policy in docs/permissions.md does not allow %s", action)
		}
		if strings.Contains(apply, `"`+action+`"`) {
			t.Errorf("the apply role policy in docs/permissions.md allows %s, which apply never calls", action)
		}
	}
}

// TestReadWithReportNamesKeys: drift reads the credential report first and
// then the access keys of every user the report shows with a key, so a
// finding names a key by its ID, as plans do, and not as "access key 1".
// Users without keys cost no ListAccessKeys.
func TestReadWithReportNamesKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	s := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { return now }))
	const id = "111122223333"
	a := s.Account(id)
	a.PutUser(iamtest.User{Name: "ci", CreateDate: now.AddDate(0, 0, -100),
		AccessKeys: []iamtest.AccessKey{{ID: "AKIAEXAMPLECIKEY0001", CreateDate: now.AddDate(0, 0, -95)}}})
	a.PutUser(iamtest.User{Name: "alice", CreateDate: now.AddDate(0, 0, -100)})
	a.AddRole("roster-plan", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport")
	env := &manifest.Environment{Name: "dev", AccountID: id, RoleARN: "arn:aws:iam::" + id + ":role/roster-plan"}
	src := &Source{Base: s.AWSConfig(id), Purpose: ForDrift}
	s.ResetCalls()

	live, report, repErr, err := src.ReadWithReport(context.Background(), env, nil)
	if err != nil || repErr != nil {
		t.Fatalf("ReadWithReport: %v, report error %v", err, repErr)
	}
	if report == nil || len(report.Users) != 2 {
		t.Fatalf("report = %+v, want both users", report)
	}
	ci := live.Users["ci"]
	if ci == nil || !ci.Details.Has(state.AccessKeys) || len(ci.AccessKeys) != 1 || ci.AccessKeys[0].ID != "AKIAEXAMPLECIKEY0001" {
		t.Errorf("live ci = %+v, want its access key read by ID", ci)
	}
	if got := s.Calls()[id]["ListAccessKeys"]; got != 1 {
		t.Errorf("ListAccessKeys called %d times, want once (only ci has a key)", got)
	}
}
