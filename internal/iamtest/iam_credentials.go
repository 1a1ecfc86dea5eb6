package iamtest

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// checkPassword applies the account password policy, or IAM's default
// policy (8 characters, three of four character classes) when none is set.
func checkPassword(a *Account, userName, pw string) *apiError {
	violation := func(why string) *apiError {
		return errorf(http.StatusBadRequest, "PasswordPolicyViolation", "Password does not conform to the account password policy: %s", why)
	}
	if len(pw) > 128 {
		return violation("password must be at most 128 characters.")
	}
	var upper, lower, digit, symbol bool
	for _, c := range pw {
		switch {
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsLower(c):
			lower = true
		case unicode.IsDigit(c):
			digit = true
		default:
			symbol = true
		}
	}
	p := a.passwordPolicy
	if p == nil {
		classes := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				classes++
			}
		}
		if len(pw) < 8 || classes < 3 || strings.EqualFold(pw, userName) {
			return violation("the default policy requires at least 8 characters from three of uppercase, lowercase, numbers and symbols.")
		}
		return nil
	}
	minLen := int(p.MinimumPasswordLength)
	if minLen == 0 {
		minLen = 6
	}
	switch {
	case len(pw) < minLen:
		return violation(fmt.Sprintf("password must be at least %d characters long.", minLen))
	case p.RequireUppercaseCharacters && !upper:
		return violation("password must contain at least one uppercase character.")
	case p.RequireLowercaseCharacters && !lower:
		return violation("password must contain at least one lowercase character.")
	case p.RequireNumbers && !digit:
		return violation("password must contain at least one number.")
	case p.RequireSymbols && !symbol:
		return violation("password must contain at least one symbol.")
	}
	return nil
}

func createLoginProfile(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	pw, err := r.required("Password")
	if err != nil {
		return nil, err
	}
	reset, err := r.boolParam("PasswordResetRequired")
	if err != nil {
		return nil, err
	}
	if u.LoginProfile != nil {
		return nil, alreadyExists("Login Profile for user %s already exists.", u.Name)
	}
	if err := checkPassword(r.acct, u.Name, pw); err != nil {
		return nil, err
	}
	u.LoginProfile = &LoginProfile{CreateDate: r.now, PasswordResetRequired: reset, Password: pw}
	return &iam.CreateLoginProfileOutput{LoginProfile: &types.LoginProfile{
		UserName: aws.String(u.Name), CreateDate: timePtr(r.now), PasswordResetRequired: reset,
	}}, nil
}

func getLoginProfile(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, noSuchEntity("Login Profile for User %s cannot be found.", u.Name)
	}
	return &iam.GetLoginProfileOutput{LoginProfile: &types.LoginProfile{
		UserName: aws.String(u.Name), CreateDate: timePtr(u.LoginProfile.CreateDate), PasswordResetRequired: u.LoginProfile.PasswordResetRequired,
	}}, nil
}

func updateLoginProfile(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, noSuchEntity("Login Profile for User %s cannot be found.", u.Name)
	}
	reset, err := r.boolParam("PasswordResetRequired")
	if err != nil {
		return nil, err
	}
	if r.has("Password") {
		pw := r.get("Password")
		if err := checkPassword(r.acct, u.Name, pw); err != nil {
			return nil, err
		}
		u.LoginProfile.Password = pw
		u.LoginProfile.PasswordChanged = r.now
	}
	if r.has("PasswordResetRequired") {
		u.LoginProfile.PasswordResetRequired = reset
	}
	return nil, nil
}

func deleteLoginProfile(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, noSuchEntity("Login Profile for User %s cannot be found.", u.Name)
	}
	u.LoginProfile = nil
	return nil, nil
}

func createAccessKey(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	if len(u.AccessKeys) >= maxAccessKeys {
		return nil, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
	}
	k := AccessKey{ID: r.srv.newID("AKIA"), Secret: r.srv.newSecret(), Status: "Active", CreateDate: r.now}
	u.AccessKeys = append(u.AccessKeys, k)
	r.acct.keyOwner[k.ID] = u
	return &iam.CreateAccessKeyOutput{AccessKey: &types.AccessKey{
		AccessKeyId: aws.String(k.ID), SecretAccessKey: aws.String(k.Secret), Status: types.StatusType(k.Status),
		UserName: aws.String(u.Name), CreateDate: timePtr(k.CreateDate),
	}}, nil
}

func listAccessKeys(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, u.AccessKeys)
	if err != nil {
		return nil, err
	}
	out := &iam.ListAccessKeysOutput{AccessKeyMetadata: []types.AccessKeyMetadata{}, Marker: marker, IsTruncated: truncated}
	for _, k := range page {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, types.AccessKeyMetadata{
			AccessKeyId: aws.String(k.ID), CreateDate: timePtr(k.CreateDate), Status: types.StatusType(k.Status), UserName: aws.String(u.Name),
		})
	}
	return out, nil
}

func validStatus(r *request) (string, *apiError) {
	st, err := r.required("Status")
	if err != nil {
		return "", err
	}
	if st != "Active" && st != "Inactive" && st != "Expired" {
		return "", validationError("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]", st)
	}
	return st, nil
}

func accessKeyIndex(r *request, u *User) (int, *apiError) {
	id, err := r.required("AccessKeyId")
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(u.AccessKeys, func(k AccessKey) bool { return k.ID == id })
	if i < 0 {
		return 0, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return i, nil
}

func updateAccessKey(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	st, err := validStatus(r)
	if err != nil {
		return nil, err
	}
	i, err := accessKeyIndex(r, u)
	if err != nil {
		return nil, err
	}
	u.AccessKeys[i].Status = st
	return nil, nil
}

func deleteAccessKey(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	i, err := accessKeyIndex(r, u)
	if err != nil {
		return nil, err
	}
	delete(r.acct.keyOwner, u.AccessKeys[i].ID)
	u.AccessKeys = slices.Delete(u.AccessKeys, i, i+1)
	return nil, nil
}

func getAccessKeyLastUsed(r *request) (output, *apiError) {
	id, err := r.required("AccessKeyId")
	if err != nil {
		return nil, err
	}
	u, ok := r.acct.keyOwner[id]
	if !ok {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", r.caller.arn(), id)
	}
	k := u.AccessKeys[slices.IndexFunc(u.AccessKeys, func(k AccessKey) bool { return k.ID == id })]
	last := &types.AccessKeyLastUsed{Region: aws.String("N/A"), ServiceName: aws.String("N/A")}
	if !k.LastUsed.IsZero() {
		last.LastUsedDate = timePtr(k.LastUsed)
		last.Region = aws.String(k.LastUsedRegion)
		last.ServiceName = aws.String(k.LastUsedService)
	}
	return &iam.GetAccessKeyLastUsedOutput{UserName: aws.String(u.Name), AccessKeyLastUsed: last}, nil
}

func listMFADevices(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, u.MFADevices)
	if err != nil {
		return nil, err
	}
	out := &iam.ListMFADevicesOutput{MFADevices: []types.MFADevice{}, Marker: marker, IsTruncated: truncated}
	for _, d := range page {
		out.MFADevices = append(out.MFADevices, types.MFADevice{
			UserName: aws.String(u.Name), SerialNumber: aws.String(d.SerialNumber), EnableDate: timePtr(d.EnableDate),
		})
	}
	return out, nil
}

func createVirtualMFADevice(r *request) (output, *apiError) {
	name, err := r.required("VirtualMFADeviceName")
	if err != nil {
		return nil, err
	}
	if err := validName(name, 226); err != nil {
		return nil, err
	}
	path, err := r.pathParam()
	if err != nil {
		return nil, err
	}
	serial := r.acct.arn("mfa", path, name)
	if _, ok := r.acct.mfa[serial]; ok {
		return nil, alreadyExists("MFADevice entity at the same path and name already exists.")
	}
	r.acct.mfa[serial] = &VirtualMFADevice{SerialNumber: serial}
	seed := []byte(fmt.Sprintf("%-32s", strings.ToUpper(strings.ReplaceAll(r.srv.newID(""), "0", "A")))[:32])
	return &iam.CreateVirtualMFADeviceOutput{VirtualMFADevice: &types.VirtualMFADevice{
		SerialNumber:     aws.String(serial),
		Base32StringSeed: seed,
		QRCodePNG:        []byte("\x89PNG\r\n\x1a\n"),
	}}, nil
}

func validAuthCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, d := range c {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}

func enableMFADevice(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	serial, err := r.required("SerialNumber")
	if err != nil {
		return nil, err
	}
	c1, c2 := r.get("AuthenticationCode1"), r.get("AuthenticationCode2")
	if !validAuthCode(c1) || !validAuthCode(c2) || c1 == c2 {
		return nil, errorf(http.StatusForbidden, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	}
	d, ok := r.acct.mfa[serial]
	if !ok {
		return nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
	}
	if d.User != "" {
		return nil, alreadyExists("MFA Device is already in use.")
	}
	if len(u.MFADevices) >= maxMFADevicesPerUser {
		return nil, limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", maxMFADevicesPerUser)
	}
	d.User, d.EnableDate = u.Name, r.now
	u.MFADevices = append(u.MFADevices, MFADevice{SerialNumber: serial, EnableDate: r.now})
	return nil, nil
}

func deactivateMFADevice(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	serial, err := r.required("SerialNumber")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.MFADevices, func(d MFADevice) bool { return d.SerialNumber == serial })
	if i < 0 {
		return nil, noSuchEntity("MFA Device with serial number %s does not exist.", serial)
	}
	u.MFADevices = slices.Delete(u.MFADevices, i, i+1)
	if d, ok := r.acct.mfa[serial]; ok {
		d.User, d.EnableDate = "", time.Time{}
	}
	return nil, nil
}

// listVirtualMFADevices lists the account's virtual MFA devices by
// AssignmentStatus (Assigned, Unassigned, or Any, the default), sorted by
// serial number and paged with MaxItems and Marker. As in IAM, an assigned
// device carries its user and enable date, and no device its seed.
func listVirtualMFADevices(r *request) (output, *apiError) {
	status := r.get("AssignmentStatus")
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		return nil, validationError("1 validation error detected: Value '%s' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Any, Assigned, Unassigned]", status)
	}
	var devices []*VirtualMFADevice
	for _, serial := range slices.Sorted(maps.Keys(r.acct.mfa)) {
		d := r.acct.mfa[serial]
		if (status == "Assigned" && d.User == "") || (status == "Unassigned" && d.User != "") {
			continue
		}
		devices = append(devices, d)
	}
	page, marker, truncated, err := paginate(r, devices)
	if err != nil {
		return nil, err
	}
	out := &iam.ListVirtualMFADevicesOutput{VirtualMFADevices: []types.VirtualMFADevice{}, Marker: marker, IsTruncated: truncated}
	for _, d := range page {
		vd := types.VirtualMFADevice{SerialNumber: aws.String(d.SerialNumber)}
		if u, ok := r.acct.users[key(d.User)]; ok && d.User != "" {
			su := sdkUser(u, false)
			vd.User, vd.EnableDate = &su, timePtr(d.EnableDate)
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, vd)
	}
	return out, nil
}

func deleteVirtualMFADevice(r *request) (output, *apiError) {
	serial, err := r.required("SerialNumber")
	if err != nil {
		return nil, err
	}
	d, ok := r.acct.mfa[serial]
	if !ok {
		return nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
	}
	if d.User != "" {
		return nil, deleteConflict("MFA device is still in use by user %s; deactivate it first.", d.User)
	}
	delete(r.acct.mfa, serial)
	return nil, nil
}

func fingerprint(body string) string {
	fields := strings.Fields(body)
	raw := []byte(body)
	if len(fields) >= 2 {
		if b, err := base64.StdEncoding.DecodeString(fields[1]); err == nil {
			raw = b
		}
	}
	sum := md5.Sum(raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

func uploadSSHPublicKey(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	body, err := r.required("SSHPublicKeyBody")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(body, "ssh-rsa ") && !strings.HasPrefix(body, "ssh-ed25519 ") && !strings.HasPrefix(body, "ecdsa-") && !strings.HasPrefix(body, "-----BEGIN") {
		return nil, errorf(http.StatusBadRequest, "UnrecognizedPublicKeyEncoding", "The request contains an unrecognized public key encoding.")
	}
	fp := fingerprint(body)
	if slices.ContainsFunc(u.SSHPublicKeys, func(k SSHPublicKey) bool { return k.Fingerprint == fp }) {
		return nil, errorf(http.StatusBadRequest, "DuplicateSSHPublicKey", "The public key is a duplicate of an existing key.")
	}
	if len(u.SSHPublicKeys) >= maxSSHKeys {
		return nil, limitExceeded("Cannot exceed quota for KeysPerUser: %d", maxSSHKeys)
	}
	k := SSHPublicKey{ID: r.srv.newID("APKA"), Body: body, Fingerprint: fp, Status: "Active", UploadDate: r.now}
	u.SSHPublicKeys = append(u.SSHPublicKeys, k)
	return &iam.UploadSSHPublicKeyOutput{SSHPublicKey: &types.SSHPublicKey{
		Fingerprint: aws.String(k.Fingerprint), SSHPublicKeyBody: aws.String(k.Body), SSHPublicKeyId: aws.String(k.ID),
		Status: types.StatusType(k.Status), UserName: aws.String(u.Name), UploadDate: timePtr(k.UploadDate),
	}}, nil
}

func listSSHPublicKeys(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, u.SSHPublicKeys)
	if err != nil {
		return nil, err
	}
	out := &iam.ListSSHPublicKeysOutput{SSHPublicKeys: []types.SSHPublicKeyMetadata{}, Marker: marker, IsTruncated: truncated}
	for _, k := range page {
		out.SSHPublicKeys = append(out.SSHPublicKeys, types.SSHPublicKeyMetadata{
			SSHPublicKeyId: aws.String(k.ID), Status: types.StatusType(k.Status), UploadDate: timePtr(k.UploadDate), UserName: aws.String(u.Name),
		})
	}
	return out, nil
}

func deleteSSHPublicKey(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	id, err := r.required("SSHPublicKeyId")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.SSHPublicKeys, func(k SSHPublicKey) bool { return k.ID == id })
	if i < 0 {
		return nil, noSuchEntity("The Public Key with id %s cannot be found.", id)
	}
	u.SSHPublicKeys = slices.Delete(u.SSHPublicKeys, i, i+1)
	return nil, nil
}

func uploadSigningCertificate(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	body, err := r.required("CertificateBody")
	if err != nil {
		return nil, err
	}
	if !strings.Contains(body, "-----BEGIN CERTIFICATE-----") || !strings.Contains(body, "-----END CERTIFICATE-----") {
		return nil, errorf(http.StatusBadRequest, "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	if slices.ContainsFunc(u.SigningCertificates, func(c SigningCertificate) bool { return c.Body == body }) {
		return nil, errorf(http.StatusConflict, "DuplicateCertificate", "The certificate is a duplicate of an existing one.")
	}
	if len(u.SigningCertificates) >= maxSigningCertificates {
		return nil, limitExceeded("Cannot exceed quota for SigningCertificatesPerUser: %d", maxSigningCertificates)
	}
	c := SigningCertificate{ID: r.srv.newCertID(), Body: body, Status: "Active", UploadDate: r.now}
	u.SigningCertificates = append(u.SigningCertificates, c)
	return &iam.UploadSigningCertificateOutput{Certificate: sdkCert(u, c)}, nil
}

func sdkCert(u *User, c SigningCertificate) *types.SigningCertificate {
	return &types.SigningCertificate{
		CertificateBody: aws.String(c.Body), CertificateId: aws.String(c.ID), Status: types.StatusType(c.Status),
		UserName: aws.String(u.Name), UploadDate: timePtr(c.UploadDate),
	}
}

func listSigningCertificates(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	page, marker, truncated, err := paginate(r, u.SigningCertificates)
	if err != nil {
		return nil, err
	}
	out := &iam.ListSigningCertificatesOutput{Certificates: []types.SigningCertificate{}, Marker: marker, IsTruncated: truncated}
	for _, c := range page {
		out.Certificates = append(out.Certificates, *sdkCert(u, c))
	}
	return out, nil
}

func deleteSigningCertificate(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	id, err := r.required("CertificateId")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.SigningCertificates, func(c SigningCertificate) bool { return c.ID == id })
	if i < 0 {
		return nil, noSuchEntity("The Certificate with id %s cannot be found.", id)
	}
	u.SigningCertificates = slices.Delete(u.SigningCertificates, i, i+1)
	return nil, nil
}

var serviceCredentialServices = []string{"codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com"}

func createServiceSpecificCredential(r *request) (output, *apiError) {
	u, err := r.user(false)
	if err != nil {
		return nil, err
	}
	svc, err := r.required("ServiceName")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(serviceCredentialServices, svc) {
		return nil, errorf(http.StatusNotFound, "NotSupportedService", "The specified service %s is not supported.", svc)
	}
	n := 0
	for _, c := range u.ServiceSpecificCredentials {
		if c.ServiceName == svc {
			n++
		}
	}
	if n >= maxServiceCredsPerUser {
		return nil, limitExceeded("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", maxServiceCredsPerUser)
	}
	c := ServiceSpecificCredential{
		ID: r.srv.newID("ACCA"), ServiceName: svc, UserName: fmt.Sprintf("%s-at-%s", u.Name, r.acct.id),
		Password: r.srv.newSecret(), Status: "Active", CreateDate: r.now,
	}
	u.ServiceSpecificCredentials = append(u.ServiceSpecificCredentials, c)
	return &iam.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: &types.ServiceSpecificCredential{
		CreateDate: timePtr(c.CreateDate), ServiceName: aws.String(c.ServiceName), ServiceSpecificCredentialId: aws.String(c.ID),
		Status: types.StatusType(c.Status), UserName: aws.String(u.Name), ServicePassword: aws.String(c.Password),
		ServiceUserName: aws.String(c.UserName),
	}}, nil
}

func listServiceSpecificCredentials(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	svc := r.get("ServiceName")
	var creds []ServiceSpecificCredential
	for _, c := range u.ServiceSpecificCredentials {
		if svc == "" || c.ServiceName == svc {
			creds = append(creds, c)
		}
	}
	page, marker, truncated, err := paginate(r, creds)
	if err != nil {
		return nil, err
	}
	out := &iam.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: []types.ServiceSpecificCredentialMetadata{}, Marker: marker, IsTruncated: truncated}
	for _, c := range page {
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, types.ServiceSpecificCredentialMetadata{
			CreateDate: timePtr(c.CreateDate), ServiceName: aws.String(c.ServiceName), ServiceSpecificCredentialId: aws.String(c.ID),
			Status: types.StatusType(c.Status), UserName: aws.String(u.Name), ServiceUserName: aws.String(c.UserName),
		})
	}
	return out, nil
}

func deleteServiceSpecificCredential(r *request) (output, *apiError) {
	u, err := r.user(true)
	if err != nil {
		return nil, err
	}
	id, err := r.required("ServiceSpecificCredentialId")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.ServiceSpecificCredentials, func(c ServiceSpecificCredential) bool { return c.ID == id })
	if i < 0 {
		return nil, noSuchEntity("No such credential %s exists.", id)
	}
	u.ServiceSpecificCredentials = slices.Delete(u.ServiceSpecificCredentials, i, i+1)
	return nil, nil
}
