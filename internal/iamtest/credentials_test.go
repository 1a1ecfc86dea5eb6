package iamtest_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

func TestLoginProfileAndPasswordPolicy(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)

	// Without a policy, IAM's default applies: 8 characters, three classes.
	_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: str("alice"), Password: str("alllowercase")})
	if code, status := errCode(err); code != "PasswordPolicyViolation" || status != 400 {
		t.Errorf("weak password under the default policy = %s %d, want PasswordPolicyViolation 400", code, status)
	}

	must(c.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(20), RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, MaxPasswordAge: aws.Int32(90),
	}))(t)
	pp := must(c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}))(t).PasswordPolicy
	if got := fmt.Sprint(aws.ToInt32(pp.MinimumPasswordLength), pp.RequireSymbols, pp.ExpirePasswords, aws.ToInt32(pp.MaxPasswordAge)); got != "20 true true 90" {
		t.Errorf("GetAccountPasswordPolicy = %s, want 20 true true 90", got)
	}
	tests := []struct {
		password string
		wantCode string
	}{
		{"Short1!", "PasswordPolicyViolation"},
		{"nouppercase-and-long-1!", "PasswordPolicyViolation"},
		{"NOLOWERCASE-AND-LONG-1!", "PasswordPolicyViolation"},
		{"No-numbers-but-long-enough!", "PasswordPolicyViolation"},
		{"NoSymbolsButLongEnough123", "PasswordPolicyViolation"},
		{"Good-Password-1234567!", ""},
	}
	for _, tt := range tests {
		_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: str("alice"), Password: str(tt.password), PasswordResetRequired: true})
		if code, _ := errCode(err); code != tt.wantCode {
			t.Errorf("CreateLoginProfile(%q) = %q, want %q", tt.password, code, tt.wantCode)
		}
	}
	lp := must(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: str("alice")}))(t).LoginProfile
	if !lp.PasswordResetRequired || aws.ToString(lp.UserName) != "alice" || lp.CreateDate == nil {
		t.Errorf("GetLoginProfile = %+v", lp)
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: str("alice"), Password: str("Good-Password-1234567!")})
	if code, _ := errCode(err); code != "EntityAlreadyExists" {
		t.Errorf("second CreateLoginProfile = %s, want EntityAlreadyExists", code)
	}
	_, err = c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: str("alice"), Password: str("weak")})
	if code, _ := errCode(err); code != "PasswordPolicyViolation" {
		t.Errorf("UpdateLoginProfile(weak) = %s, want PasswordPolicyViolation", code)
	}
	must(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: str("alice"), PasswordResetRequired: aws.Bool(false)}))(t)
	if u, _ := s.Account(acctA).User("alice"); u.LoginProfile.PasswordResetRequired {
		t.Error("UpdateLoginProfile did not clear PasswordResetRequired")
	}
	must(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: str("alice")}))(t)
	must(c.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}))(t)
	if _, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); !isNoSuchEntity(err) {
		t.Errorf("GetAccountPasswordPolicy after delete = %v, want NoSuchEntity", err)
	}
}

func TestAccessKeys(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: str("alice")}))(t).AccessKey
	if !strings.HasPrefix(aws.ToString(k.AccessKeyId), "AKIA") || aws.ToString(k.SecretAccessKey) == "" || k.Status != types.StatusTypeActive {
		t.Errorf("CreateAccessKey = %+v", k)
	}
	must(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: str("alice"), AccessKeyId: k.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	keys := must(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: str("alice")}))(t).AccessKeyMetadata
	if len(keys) != 1 || keys[0].Status != types.StatusTypeInactive {
		t.Errorf("ListAccessKeys = %+v, want one inactive key", keys)
	}
	last := must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId}))(t)
	if got := fmt.Sprint(aws.ToString(last.UserName), " ", aws.ToString(last.AccessKeyLastUsed.ServiceName), " ", last.AccessKeyLastUsed.LastUsedDate); got != "alice N/A <nil>" {
		t.Errorf("GetAccessKeyLastUsed of an unused key = %s", got)
	}
	used := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Account(acctA).PutUser(iamtest.User{Name: "carol", AccessKeys: []iamtest.AccessKey{{ID: "AKIACAROL00000000001", LastUsed: used, LastUsedService: "s3", LastUsedRegion: "eu-west-1"}}})
	last = must(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: str("AKIACAROL00000000001")}))(t)
	if got := fmt.Sprint(aws.ToString(last.AccessKeyLastUsed.ServiceName), aws.ToString(last.AccessKeyLastUsed.Region), aws.ToTime(last.AccessKeyLastUsed.LastUsedDate)); got != fmt.Sprint("s3", "eu-west-1", used) {
		t.Errorf("GetAccessKeyLastUsed of a used key = %s", got)
	}
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: str("alice"), AccessKeyId: k.AccessKeyId}))(t)
	_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: str("alice"), AccessKeyId: k.AccessKeyId})
	if !isNoSuchEntity(err) {
		t.Errorf("deleting a deleted key = %v, want NoSuchEntity", err)
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: str("carol"), AccessKeyId: str("AKIACAROL00000000001"), Status: "Sleeping"})
	if code, _ := errCode(err); code != "ValidationError" {
		t.Errorf("UpdateAccessKey with a bad status = %s, want ValidationError", code)
	}
}

func TestVirtualMFADevices(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	d := must(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: str("alice-phone")}))(t).VirtualMFADevice
	serial := aws.ToString(d.SerialNumber)
	if serial != "arn:aws:iam::111122223333:mfa/alice-phone" || len(d.Base32StringSeed) == 0 || len(d.QRCodePNG) == 0 {
		t.Errorf("CreateVirtualMFADevice = %s seed %d bytes, png %d bytes", serial, len(d.Base32StringSeed), len(d.QRCodePNG))
	}
	must(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: str("alice"), SerialNumber: d.SerialNumber, AuthenticationCode1: str("123456"), AuthenticationCode2: str("654321")}))(t)
	devices := must(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: str("alice")}))(t).MFADevices
	if len(devices) != 1 || aws.ToString(devices[0].SerialNumber) != serial || devices[0].EnableDate == nil {
		t.Errorf("ListMFADevices = %+v", devices)
	}
	_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: str("bob"), SerialNumber: d.SerialNumber, AuthenticationCode1: str("123456"), AuthenticationCode2: str("654321")})
	if code, _ := errCode(err); code != "EntityAlreadyExists" {
		t.Errorf("enabling a device in use = %s, want EntityAlreadyExists", code)
	}
	_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber})
	if code, status := errCode(err); code != "DeleteConflict" || status != 409 {
		t.Errorf("deleting an enabled device = %s %d, want DeleteConflict 409", code, status)
	}
	must(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: str("alice"), SerialNumber: d.SerialNumber}))(t)
	must(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber}))(t)
	if n := len(s.Account(acctA).Snapshot().VirtualMFADevices); n != 0 {
		t.Errorf("%d virtual MFA devices left", n)
	}
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")}))(t)
}

func TestSSHKeysCertificatesAndServiceCredentials(t *testing.T) {
	t.Parallel()
	_, c := seeded(t)
	body := "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC alice@laptop"
	k := must(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: str("alice"), SSHPublicKeyBody: str(body)}))(t).SSHPublicKey
	if !strings.HasPrefix(aws.ToString(k.SSHPublicKeyId), "APKA") || strings.Count(aws.ToString(k.Fingerprint), ":") != 15 {
		t.Errorf("UploadSSHPublicKey = %+v", k)
	}
	_, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: str("alice"), SSHPublicKeyBody: str(body)})
	if code, _ := errCode(err); code != "DuplicateSSHPublicKey" {
		t.Errorf("duplicate SSH key = %s, want DuplicateSSHPublicKey", code)
	}
	must(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: str("alice"), SSHPublicKeyId: k.SSHPublicKeyId}))(t)

	pem := "-----BEGIN CERTIFICATE-----\nMIIBszCCARwCCQ\n-----END CERTIFICATE-----\n"
	cert := must(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: str("alice"), CertificateBody: str(pem)}))(t).Certificate
	if aws.ToString(cert.CertificateBody) != pem || cert.Status != types.StatusTypeActive {
		t.Errorf("UploadSigningCertificate = %+v", cert)
	}
	certs := must(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: str("alice")}))(t).Certificates
	if len(certs) != 1 {
		t.Errorf("ListSigningCertificates = %d certificates, want 1", len(certs))
	}
	must(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: str("alice"), CertificateId: cert.CertificateId}))(t)

	cred := must(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: str("alice"), ServiceName: str("codecommit.amazonaws.com")}))(t).ServiceSpecificCredential
	if aws.ToString(cred.ServicePassword) == "" || !strings.HasPrefix(aws.ToString(cred.ServiceUserName), "alice-at-") {
		t.Errorf("CreateServiceSpecificCredential = %+v", cred)
	}
	must(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: str("alice"), ServiceName: str("codecommit.amazonaws.com")}))(t)
	_, err = c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: str("alice"), ServiceName: str("codecommit.amazonaws.com")})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("third credential for one service = %s, want LimitExceeded", code)
	}
	list := must(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: str("alice"), ServiceName: str("codecommit.amazonaws.com")}))(t)
	if len(list.ServiceSpecificCredentials) != 2 {
		t.Errorf("ListServiceSpecificCredentials = %d, want 2", len(list.ServiceSpecificCredentials))
	}
	for _, cr := range list.ServiceSpecificCredentials {
		must(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: str("alice"), ServiceSpecificCredentialId: cr.ServiceSpecificCredentialId}))(t)
	}
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")}))(t)
}

func TestCredentialReport(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithClock(func() time.Time { return now }))
	a := s.Account(acctA)
	a.PutUser(iamtest.User{Name: "alice", LoginProfile: &iamtest.LoginProfile{}, MFADevices: make([]iamtest.MFADevice, 1),
		AccessKeys: []iamtest.AccessKey{{LastUsed: now.Add(-time.Hour), LastUsedRegion: "us-east-1", LastUsedService: "iam"}, {Status: "Inactive"}}})
	a.PutUser(iamtest.User{Name: "svc"})
	a.PutUser(iamtest.User{Name: "carol", LoginProfile: &iamtest.LoginProfile{CreateDate: now.AddDate(0, 0, -100), PasswordChanged: now.AddDate(0, 0, -10)}, PasswordLastUsed: now.AddDate(0, 0, -1)})
	a.SetPasswordPolicy(&iamtest.PasswordPolicy{MinimumPasswordLength: 12, MaxPasswordAge: 30})
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)

	if st := must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t).State; st != types.ReportStateTypeStarted {
		t.Errorf("first GenerateCredentialReport = %s, want STARTED", st)
	}
	_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if code, _ := errCode(err); code != "ReportInProgress" {
		t.Errorf("GetCredentialReport while generating = %s, want ReportInProgress", code)
	}
	if st := must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t).State; st != types.ReportStateTypeComplete {
		t.Errorf("second GenerateCredentialReport = %s, want COMPLETE", st)
	}
	rep := must(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))(t)
	if rep.ReportFormat != types.ReportFormatTypeTextCsv || !aws.ToTime(rep.GeneratedTime).Equal(now) {
		t.Errorf("report format %s generated %v", rep.ReportFormat, rep.GeneratedTime)
	}
	rows, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	if diff := cmp.Diff(wantHeader, strings.Join(rows[0], ",")); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for _, row := range rows[1:] {
		got[row[0]] = strings.Join(row[3:], ",")
	}
	want := map[string]string{
		"<root_account>": "not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
		"alice":          "true,no_information,2026-11-27T06:00:00+00:00,2026-12-27T06:00:00+00:00,true,true,2026-11-27T06:00:00+00:00,2026-11-27T05:00:00+00:00,us-east-1,iam,false,2026-11-27T06:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
		"carol":          "true,2026-11-26T06:00:00+00:00,2026-11-17T06:00:00+00:00,2026-12-17T06:00:00+00:00,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
		"svc":            "false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report rows from password_enabled on (-want +got):\n%s", diff)
	}
}

func TestCustomerManagedPolicies(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: str("deploy"), Path: str("/ci/"), PolicyDocument: str(allowAll), Description: str("CI deploys")}))(t).Policy
	arn := aws.ToString(p.Arn)
	if arn != "arn:aws:iam::111122223333:policy/ci/deploy" || aws.ToString(p.DefaultVersionId) != "v1" || !strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") {
		t.Errorf("CreatePolicy = %s %s %s", arn, aws.ToString(p.DefaultVersionId), aws.ToString(p.PolicyId))
	}
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("alice"), PolicyArn: p.Arn}))(t)
	got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn}))(t).Policy
	if aws.ToInt32(got.AttachmentCount) != 1 || aws.ToString(got.Description) != "CI deploys" {
		t.Errorf("GetPolicy = attachments %d, description %q", aws.ToInt32(got.AttachmentCount), aws.ToString(got.Description))
	}
	v := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: str("v1")}))(t).PolicyVersion
	doc, err := url.QueryUnescape(aws.ToString(v.Document))
	if err != nil || doc != allowAll || !v.IsDefaultVersion {
		t.Errorf("GetPolicyVersion document %q default %v, want %q", doc, v.IsDefaultVersion, allowAll)
	}
	aws1 := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: str("arn:aws:iam::aws:policy/ReadOnlyAccess")}))(t).Policy
	if aws.ToString(aws1.PolicyName) != "ReadOnlyAccess" {
		t.Errorf("GetPolicy of an AWS managed policy = %+v", aws1)
	}
	local := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t).Policies
	var names []string
	for _, p := range local {
		names = append(names, aws.ToString(p.PolicyName))
	}
	if diff := cmp.Diff([]string{"deploy", "custom"}, names); diff != "" {
		t.Errorf("ListPolicies Local (-want +got):\n%s", diff)
	}
	attached := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true}))(t).Policies
	if len(attached) != 1 || aws.ToString(attached[0].Arn) != arn {
		t.Errorf("ListPolicies OnlyAttached = %d policies", len(attached))
	}
	if snap := s.Account(acctA).Snapshot(); snap.Policies[0].Document != allowAll {
		t.Errorf("stored document = %q, want it exactly as put", snap.Policies[1].Document)
	}
}
