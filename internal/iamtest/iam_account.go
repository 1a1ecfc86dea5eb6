package iamtest

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const awsManagedDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// entityRef is one entity in GetAccountAuthorizationDetails' combined,
// paginated listing.
type entityRef struct {
	kind types.EntityType
	user *User
	grp  *Group
	role *Role
	arn  string // managed policy
}

// attachmentCounts counts users and groups attaching each managed policy,
// and users using each as a permissions boundary.
func attachmentCounts(a *Account) (attach, boundary map[string]int) {
	attach, boundary = map[string]int{}, map[string]int{}
	for _, u := range a.users {
		for _, p := range u.ManagedPolicies {
			attach[p]++
		}
		if u.PermissionsBoundary != "" {
			boundary[u.PermissionsBoundary]++
		}
	}
	for _, g := range a.groups {
		for _, p := range g.ManagedPolicies {
			attach[p]++
		}
	}
	return attach, boundary
}

// managedPolicies lists customer managed policies (local) and the AWS
// managed policies in use in the account, sorted by ARN.
func managedPolicies(a *Account, local, awsManaged bool, attach, boundary map[string]int) []string {
	var arns []string
	if local {
		for arn := range a.policies {
			arns = append(arns, arn)
		}
	}
	if awsManaged {
		seen := map[string]bool{}
		for arn := range attach {
			seen[arn] = true
		}
		for arn := range boundary {
			seen[arn] = true
		}
		for arn := range seen {
			if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
				arns = append(arns, arn)
			}
		}
	}
	slices.Sort(arns)
	return arns
}

func sdkPolicy(a *Account, arn string, attach, boundary map[string]int) types.Policy {
	p, ok := a.policies[arn]
	if !ok {
		rest := strings.TrimPrefix(arn, "arn:aws:iam::aws:policy")
		p = &Policy{ARN: arn, Name: policyName(arn), Path: rest[:strings.LastIndex(rest, "/")+1], ID: "ANPAIAMTESTAWSMANAGED", CreateDate: time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)}
	}
	return types.Policy{
		Arn:                           aws.String(p.ARN),
		AttachmentCount:               aws.Int32(int32(attach[arn])),
		CreateDate:                    timePtr(p.CreateDate),
		UpdateDate:                    timePtr(p.CreateDate),
		DefaultVersionId:              aws.String(defaultPolicyVersionID),
		Description:                   optString(p.Description),
		IsAttachable:                  true,
		Path:                          aws.String(p.Path),
		PermissionsBoundaryUsageCount: aws.Int32(int32(boundary[arn])),
		PolicyId:                      aws.String(p.ID),
		PolicyName:                    aws.String(p.Name),
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func policyDocument(a *Account, arn string) string {
	if p, ok := a.policies[arn]; ok {
		return p.Document
	}
	return awsManagedDocument
}

func policyDetails(m map[string]string) []types.PolicyDetail {
	out := []types.PolicyDetail{}
	for _, name := range sortedKeys(m) {
		out = append(out, types.PolicyDetail{PolicyName: aws.String(name), PolicyDocument: aws.String(urlEncode(m[name]))})
	}
	return out
}

// detailsListing is GetAccountAuthorizationDetails' combined listing for
// one filter (users, groups, roles, then policies, each sorted), with the
// attachment counts its policies report. It is built once per version of
// the account's state, not once per page: paging through 50,000 users then
// costs the page, not a sort of every user.
type detailsListing struct {
	version          uint64
	refs             []entityRef
	attach, boundary map[string]int
}

// detailsListing returns the listing for the filter (empty: everything),
// building it when the state changed since the last one. The caller holds
// a.mu.
func (a *Account) detailsListing(want map[types.EntityType]bool) *detailsListing {
	filter := make([]string, 0, len(want))
	for t := range want {
		filter = append(filter, string(t))
	}
	slices.Sort(filter)
	k := strings.Join(filter, ",")
	if l := a.details[k]; l != nil && l.version == a.version {
		return l
	}
	all := len(want) == 0
	l := &detailsListing{version: a.version}
	if all || want[types.EntityTypeUser] {
		for _, u := range sortedUsers(a, "") {
			l.refs = append(l.refs, entityRef{kind: types.EntityTypeUser, user: u})
		}
	}
	if all || want[types.EntityTypeGroup] {
		for _, g := range sortedGroups(a, "") {
			l.refs = append(l.refs, entityRef{kind: types.EntityTypeGroup, grp: g})
		}
	}
	if all || want[types.EntityTypeRole] {
		for _, ro := range sortedValues(a.roles, func(ro *Role) string { return key(ro.Name) }) {
			l.refs = append(l.refs, entityRef{kind: types.EntityTypeRole, role: ro})
		}
	}
	l.attach, l.boundary = attachmentCounts(a)
	for _, arn := range managedPolicies(a, all || want[types.EntityTypeLocalManagedPolicy], all || want[types.EntityTypeAWSManagedPolicy], l.attach, l.boundary) {
		l.refs = append(l.refs, entityRef{kind: types.EntityTypeLocalManagedPolicy, arn: arn})
	}
	if a.details == nil || a.detailsVersion != a.version {
		a.details, a.detailsVersion = map[string]*detailsListing{}, a.version
	}
	a.details[k] = l
	return l
}

func getAccountAuthorizationDetails(r *request) (output, *apiError) {
	want := map[types.EntityType]bool{}
	for _, f := range r.list("Filter") {
		switch types.EntityType(f) {
		case types.EntityTypeUser, types.EntityTypeGroup, types.EntityTypeRole, types.EntityTypeLocalManagedPolicy, types.EntityTypeAWSManagedPolicy:
			want[types.EntityType(f)] = true
		default:
			return nil, validationError("1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, LocalManagedPolicy, Group, AWSManagedPolicy]]", f)
		}
	}
	l := r.acct.detailsListing(want)
	attach, boundaryCount := l.attach, l.boundary
	a := r.acct
	page, marker, truncated, err := paginate(r, l.refs)
	if err != nil {
		return nil, err
	}
	out := &iam.GetAccountAuthorizationDetailsOutput{
		UserDetailList:  []types.UserDetail{},
		GroupDetailList: []types.GroupDetail{},
		RoleDetailList:  []types.RoleDetail{},
		Policies:        []types.ManagedPolicyDetail{},
		Marker:          marker,
		IsTruncated:     truncated,
	}
	for _, ref := range page {
		switch {
		case ref.user != nil:
			u := ref.user
			groups := slices.Clone(u.Groups)
			slices.SortFunc(groups, func(x, y string) int { return strings.Compare(key(x), key(y)) })
			out.UserDetailList = append(out.UserDetailList, types.UserDetail{
				Arn:                     aws.String(u.ARN),
				AttachedManagedPolicies: attached(u.ManagedPolicies),
				CreateDate:              timePtr(u.CreateDate),
				GroupList:               nonNil(groups),
				Path:                    aws.String(u.Path),
				PermissionsBoundary:     boundary(u.PermissionsBoundary),
				Tags:                    sdkTags(u.Tags),
				UserId:                  aws.String(u.ID),
				UserName:                aws.String(u.Name),
				UserPolicyList:          policyDetails(u.InlinePolicies),
			})
		case ref.grp != nil:
			g := ref.grp
			out.GroupDetailList = append(out.GroupDetailList, types.GroupDetail{
				Arn:                     aws.String(g.ARN),
				AttachedManagedPolicies: attached(g.ManagedPolicies),
				CreateDate:              timePtr(g.CreateDate),
				GroupId:                 aws.String(g.ID),
				GroupName:               aws.String(g.Name),
				GroupPolicyList:         policyDetails(g.InlinePolicies),
				Path:                    aws.String(g.Path),
			})
		case ref.role != nil:
			ro := ref.role
			out.RoleDetailList = append(out.RoleDetailList, types.RoleDetail{
				Arn:                      aws.String(ro.ARN),
				AssumeRolePolicyDocument: aws.String(urlEncode(defaultAssumeRolePolicy)),
				AttachedManagedPolicies:  []types.AttachedPolicy{},
				CreateDate:               timePtr(ro.CreateDate),
				InstanceProfileList:      []types.InstanceProfile{},
				Path:                     aws.String("/"),
				RoleId:                   aws.String(ro.ID),
				RoleName:                 aws.String(ro.Name),
				RolePolicyList:           []types.PolicyDetail{},
			})
		default:
			p := sdkPolicy(a, ref.arn, attach, boundaryCount)
			out.Policies = append(out.Policies, types.ManagedPolicyDetail{
				Arn:                           p.Arn,
				AttachmentCount:               p.AttachmentCount,
				CreateDate:                    p.CreateDate,
				DefaultVersionId:              p.DefaultVersionId,
				Description:                   p.Description,
				IsAttachable:                  true,
				Path:                          p.Path,
				PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
				PolicyId:                      p.PolicyId,
				PolicyName:                    p.PolicyName,
				UpdateDate:                    p.UpdateDate,
				PolicyVersionList: []types.PolicyVersion{{
					CreateDate:       p.CreateDate,
					Document:         aws.String(urlEncode(policyDocument(a, ref.arn))),
					IsDefaultVersion: true,
					VersionId:        aws.String(defaultPolicyVersionID),
				}},
			})
		}
	}
	return out, nil
}

// Credential report.

var credentialReportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
	"cert_2_active", "cert_2_last_rotated",
}

func reportTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

func credentialReport(a *Account, now time.Time) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(credentialReportColumns)
	root := []string{"<root_account>", "arn:aws:iam::" + a.id + ":root", reportTime(now, "N/A"), "not_supported", "no_information", "not_supported", "not_supported", "true",
		"false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"}
	_ = w.Write(root)
	for _, u := range sortedUsers(a, "") {
		row := []string{u.Name, u.ARN, reportTime(u.CreateDate, "N/A")}
		if lp := u.LoginProfile; lp != nil {
			changed := lp.PasswordChanged
			if changed.IsZero() {
				changed = lp.CreateDate
			}
			nextRotation := "N/A"
			if p := a.passwordPolicy; p != nil && p.MaxPasswordAge > 0 {
				nextRotation = reportTime(changed.AddDate(0, 0, int(p.MaxPasswordAge)), "N/A")
			}
			row = append(row, "true", reportTime(u.PasswordLastUsed, "no_information"), reportTime(changed, "N/A"), nextRotation)
		} else {
			row = append(row, "false", reportTime(u.PasswordLastUsed, "N/A"), "N/A", "N/A")
		}
		row = append(row, strconv.FormatBool(len(u.MFADevices) > 0))
		for i := range 2 {
			if i < len(u.AccessKeys) {
				k := u.AccessKeys[i]
				region, service := "N/A", "N/A"
				if !k.LastUsed.IsZero() {
					region, service = k.LastUsedRegion, k.LastUsedService
				}
				row = append(row, strconv.FormatBool(k.Status == "Active"), reportTime(k.CreateDate, "N/A"), reportTime(k.LastUsed, "N/A"), region, service)
			} else {
				row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
			}
		}
		for i := range 2 {
			if i < len(u.SigningCertificates) {
				c := u.SigningCertificates[i]
				row = append(row, strconv.FormatBool(c.Status == "Active"), reportTime(c.UploadDate, "N/A"))
			} else {
				row = append(row, "false", "N/A")
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func generateCredentialReport(r *request) (output, *apiError) {
	rep := &r.acct.report
	if rep.state == "STARTED" {
		rep.state = "COMPLETE"
		rep.generated = r.now
		rep.content = credentialReport(r.acct, r.now)
		return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeComplete}, nil
	}
	if rep.state == "COMPLETE" && r.now.Sub(rep.generated) < 4*time.Hour {
		return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeComplete}, nil
	}
	rep.state = "STARTED"
	return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeStarted, Description: aws.String("No report exists. Starting a new report generation task")}, nil
}

func getCredentialReport(r *request) (output, *apiError) {
	rep := &r.acct.report
	switch rep.state {
	case "":
		return nil, errorf(http.StatusGone, "ReportNotPresent", "Credential report not present.")
	case "STARTED":
		return nil, errorf(http.StatusNotFound, "ReportInProgress", "Credential report is being generated.")
	}
	return &iam.GetCredentialReportOutput{Content: slices.Clone(rep.content), GeneratedTime: timePtr(rep.generated), ReportFormat: types.ReportFormatTypeTextCsv}, nil
}

// Password policy.

func getAccountPasswordPolicy(r *request) (output, *apiError) {
	p := r.acct.passwordPolicy
	if p == nil {
		return nil, noSuchEntity("The Password Policy with domain name %s cannot be found.", r.acct.id)
	}
	out := &types.PasswordPolicy{
		AllowUsersToChangePassword: p.AllowUsersToChangePassword,
		ExpirePasswords:            p.MaxPasswordAge > 0,
		MinimumPasswordLength:      aws.Int32(p.MinimumPasswordLength),
		RequireLowercaseCharacters: p.RequireLowercaseCharacters,
		RequireNumbers:             p.RequireNumbers,
		RequireSymbols:             p.RequireSymbols,
		RequireUppercaseCharacters: p.RequireUppercaseCharacters,
	}
	if p.MaxPasswordAge > 0 {
		out.MaxPasswordAge = aws.Int32(p.MaxPasswordAge)
		out.HardExpiry = aws.Bool(p.HardExpiry)
	}
	if p.PasswordReusePrevention > 0 {
		out.PasswordReusePrevention = aws.Int32(p.PasswordReusePrevention)
	}
	return &iam.GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

func updateAccountPasswordPolicy(r *request) (output, *apiError) {
	p := PasswordPolicy{MinimumPasswordLength: 6}
	ints := []struct {
		name     string
		dst      *int32
		min, max int
	}{
		{"MinimumPasswordLength", &p.MinimumPasswordLength, 6, 128},
		{"MaxPasswordAge", &p.MaxPasswordAge, 1, 1095},
		{"PasswordReusePrevention", &p.PasswordReusePrevention, 1, 24},
	}
	for _, f := range ints {
		v, ok, err := r.intParam(f.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if v < f.min || v > f.max {
			return nil, validationError("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", v, lowerFirst(f.name), f.min, f.max)
		}
		*f.dst = int32(v)
	}
	bools := []struct {
		name string
		dst  *bool
	}{
		{"RequireSymbols", &p.RequireSymbols},
		{"RequireNumbers", &p.RequireNumbers},
		{"RequireUppercaseCharacters", &p.RequireUppercaseCharacters},
		{"RequireLowercaseCharacters", &p.RequireLowercaseCharacters},
		{"AllowUsersToChangePassword", &p.AllowUsersToChangePassword},
		{"HardExpiry", &p.HardExpiry},
	}
	for _, f := range bools {
		v, err := r.boolParam(f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	r.acct.passwordPolicy = &p
	return nil, nil
}

func deleteAccountPasswordPolicy(r *request) (output, *apiError) {
	if r.acct.passwordPolicy == nil {
		return nil, noSuchEntity("The account policy with name PasswordPolicy cannot be found.")
	}
	r.acct.passwordPolicy = nil
	return nil, nil
}

// Customer managed policies.

func createPolicy(r *request) (output, *apiError) {
	name, err := r.required("PolicyName")
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
	doc, err := r.required("PolicyDocument")
	if err != nil {
		return nil, err
	}
	if err := validPolicyDocument(doc); err != nil {
		return nil, err
	}
	if policySize(doc) > 6144 {
		return nil, limitExceeded("Cannot exceed quota for PolicySize: 6144")
	}
	for _, p := range r.acct.policies {
		if strings.EqualFold(p.Name, name) {
			return nil, alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
	}
	p := r.acct.addPolicy(name, path, r.get("Description"), doc)
	sp := sdkPolicy(r.acct, p.ARN, nil, nil)
	return &iam.CreatePolicyOutput{Policy: &sp}, nil
}

func (r *request) managedPolicy() (string, *apiError) {
	arn, err := r.required("PolicyArn")
	if err != nil {
		return "", err
	}
	if !validPolicyARN(arn) {
		return "", invalidInput("ARN %s is not valid.", arn)
	}
	if !r.acct.policyExists(arn) {
		return "", noSuchEntity("Policy %s was not found.", arn)
	}
	return arn, nil
}

func getPolicy(r *request) (output, *apiError) {
	arn, err := r.managedPolicy()
	if err != nil {
		return nil, err
	}
	attach, boundaryCount := attachmentCounts(r.acct)
	sp := sdkPolicy(r.acct, arn, attach, boundaryCount)
	return &iam.GetPolicyOutput{Policy: &sp}, nil
}

func getPolicyVersion(r *request) (output, *apiError) {
	arn, err := r.managedPolicy()
	if err != nil {
		return nil, err
	}
	v, err := r.required("VersionId")
	if err != nil {
		return nil, err
	}
	if v != defaultPolicyVersionID {
		return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, v)
	}
	created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
	if p, ok := r.acct.policies[arn]; ok {
		created = p.CreateDate
	}
	return &iam.GetPolicyVersionOutput{PolicyVersion: &types.PolicyVersion{
		CreateDate: timePtr(created), Document: aws.String(urlEncode(policyDocument(r.acct, arn))), IsDefaultVersion: true, VersionId: aws.String(v),
	}}, nil
}

func listPolicies(r *request) (output, *apiError) {
	scope := r.get("Scope")
	if scope == "" {
		scope = "All"
	}
	if scope != "All" && scope != "AWS" && scope != "Local" {
		return nil, validationError("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	onlyAttached, err := r.boolParam("OnlyAttached")
	if err != nil {
		return nil, err
	}
	attach, boundaryCount := attachmentCounts(r.acct)
	prefix := r.get("PathPrefix")
	var policies []types.Policy
	for _, arn := range managedPolicies(r.acct, scope != "AWS", scope != "Local", attach, boundaryCount) {
		p := sdkPolicy(r.acct, arn, attach, boundaryCount)
		if onlyAttached && attach[arn] == 0 {
			continue
		}
		if prefix != "" && !strings.HasPrefix(*p.Path, prefix) {
			continue
		}
		policies = append(policies, p)
	}
	page, marker, truncated, err := paginate(r, policies)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []types.Policy{}
	}
	return &iam.ListPoliciesOutput{Policies: page, Marker: marker, IsTruncated: truncated}, nil
}
