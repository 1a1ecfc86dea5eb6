package iamtest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamschemas "github.com/aws/aws-sdk-go-v2/service/iam/schemas"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	stsschemas "github.com/aws/aws-sdk-go-v2/service/sts/schemas"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSerializerRoundTrip writes fully populated output shapes with the
// fake's serializer and reads them back with the SDK's own awsQuery
// deserializer: every field must survive, including nested lists of
// structures, blobs, timestamps, booleans and integers.
func TestSerializerRoundTrip(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 11, 27, 6, 7, 8, 0, time.UTC)
	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("a&b <c>")}, {Key: aws.String("k"), Value: aws.String("")}}
	attachedPolicies := []types.AttachedPolicy{{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"), PolicyName: aws.String("ReadOnlyAccess")}}
	details := []types.PolicyDetail{{PolicyName: aws.String("p"), PolicyDocument: aws.String(urlEncode(`{"a":"b c"}`))}}
	boundary := &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String("arn:aws:iam::aws:policy/X"), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}

	tests := []struct {
		name    string
		op      *smithy.OperationSchema
		service *smithy.ServiceSchema
		reg     *smithy.TypeRegistry
		in      output
		out     smithy.Deserializable
	}{
		{
			name:    "GetAccountAuthorizationDetails",
			op:      smithy.NewOperationSchema(iamschemas.GetAccountAuthorizationDetails, iamschemas.GetAccountAuthorizationDetailsRequest, iamschemas.GetAccountAuthorizationDetailsResponse),
			service: iamschemas.AWSIdentityManagementV20100508, reg: iam.TypeRegistry,
			in: &iam.GetAccountAuthorizationDetailsOutput{
				UserDetailList: []types.UserDetail{{
					Arn: aws.String("arn:aws:iam::111122223333:user/alice"), AttachedManagedPolicies: attachedPolicies, CreateDate: &when,
					GroupList: []string{"a", "b"}, Path: aws.String("/"), PermissionsBoundary: boundary, Tags: tags,
					UserId: aws.String("AIDA1"), UserName: aws.String("alice"), UserPolicyList: details,
				}, {UserName: aws.String("bob")}},
				GroupDetailList: []types.GroupDetail{{
					Arn: aws.String("g-arn"), AttachedManagedPolicies: attachedPolicies, CreateDate: &when, GroupId: aws.String("AGPA1"),
					GroupName: aws.String("devs"), GroupPolicyList: details, Path: aws.String("/teams/"),
				}},
				RoleDetailList: []types.RoleDetail{{
					Arn: aws.String("r-arn"), AssumeRolePolicyDocument: aws.String("%7B%7D"), CreateDate: &when, RoleId: aws.String("AROA1"), RoleName: aws.String("r"),
					InstanceProfileList: []types.InstanceProfile{{Arn: aws.String("ip"), CreateDate: &when, InstanceProfileId: aws.String("AIPA"), InstanceProfileName: aws.String("ip"), Path: aws.String("/"),
						Roles: []types.Role{{Arn: aws.String("r-arn"), CreateDate: &when, Path: aws.String("/"), RoleId: aws.String("AROA1"), RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(3600)}}}},
					RoleLastUsed: &types.RoleLastUsed{LastUsedDate: &when, Region: aws.String("us-east-1")},
				}},
				Policies: []types.ManagedPolicyDetail{{
					Arn: aws.String("p-arn"), AttachmentCount: aws.Int32(3), CreateDate: &when, DefaultVersionId: aws.String("v1"), IsAttachable: true,
					PolicyVersionList: []types.PolicyVersion{{CreateDate: &when, Document: aws.String("%7B%7D"), IsDefaultVersion: true, VersionId: aws.String("v1")}},
				}},
				IsTruncated: true,
				Marker:      aws.String("m"),
			},
			out: &iam.GetAccountAuthorizationDetailsOutput{},
		},
		{
			name:    "CreateVirtualMFADevice",
			op:      smithy.NewOperationSchema(iamschemas.CreateVirtualMFADevice, iamschemas.CreateVirtualMFADeviceRequest, iamschemas.CreateVirtualMFADeviceResponse),
			service: iamschemas.AWSIdentityManagementV20100508, reg: iam.TypeRegistry,
			in: &iam.CreateVirtualMFADeviceOutput{VirtualMFADevice: &types.VirtualMFADevice{
				SerialNumber: aws.String("arn:aws:iam::111122223333:mfa/x"), Base32StringSeed: []byte("SEED"), QRCodePNG: []byte{0x89, 'P', 0, 0xff},
				EnableDate: &when, Tags: tags, User: &types.User{UserName: aws.String("alice"), Tags: tags},
			}},
			out: &iam.CreateVirtualMFADeviceOutput{},
		},
		{
			name:    "GetCredentialReport",
			op:      smithy.NewOperationSchema(iamschemas.GetCredentialReport, nil, iamschemas.GetCredentialReportResponse),
			service: iamschemas.AWSIdentityManagementV20100508, reg: iam.TypeRegistry,
			in:  &iam.GetCredentialReportOutput{Content: []byte("user,arn\nalice,x\n"), GeneratedTime: &when, ReportFormat: types.ReportFormatTypeTextCsv},
			out: &iam.GetCredentialReportOutput{},
		},
		{
			name:    "GetAccountPasswordPolicy",
			op:      smithy.NewOperationSchema(iamschemas.GetAccountPasswordPolicy, nil, iamschemas.GetAccountPasswordPolicyResponse),
			service: iamschemas.AWSIdentityManagementV20100508, reg: iam.TypeRegistry,
			in: &iam.GetAccountPasswordPolicyOutput{PasswordPolicy: &types.PasswordPolicy{
				AllowUsersToChangePassword: true, ExpirePasswords: true, HardExpiry: aws.Bool(false), MaxPasswordAge: aws.Int32(90),
				MinimumPasswordLength: aws.Int32(14), PasswordReusePrevention: aws.Int32(24), RequireLowercaseCharacters: true, RequireSymbols: true,
			}},
			out: &iam.GetAccountPasswordPolicyOutput{},
		},
		{
			name:    "ListUserPolicies",
			op:      smithy.NewOperationSchema(iamschemas.ListUserPolicies, iamschemas.ListUserPoliciesRequest, iamschemas.ListUserPoliciesResponse),
			service: iamschemas.AWSIdentityManagementV20100508, reg: iam.TypeRegistry,
			in:  &iam.ListUserPoliciesOutput{PolicyNames: []string{"a", "b"}, IsTruncated: true, Marker: aws.String("m")},
			out: &iam.ListUserPoliciesOutput{},
		},
		{
			name:    "AssumeRole",
			op:      smithy.NewOperationSchema(stsschemas.AssumeRole, stsschemas.AssumeRoleRequest, stsschemas.AssumeRoleResponse),
			service: stsschemas.AWSSecurityTokenServiceV20110615, reg: sts.TypeRegistry,
			in: &sts.AssumeRoleOutput{
				Credentials:      &ststypes.Credentials{AccessKeyId: aws.String("ASIA"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &when},
				AssumedRoleUser:  &ststypes.AssumedRoleUser{Arn: aws.String("arn"), AssumedRoleId: aws.String("AROA:s")},
				PackedPolicySize: aws.Int32(7), //nolint:staticcheck // deprecated but still on the wire; the round trip must keep it
				SourceIdentity:   aws.String("me"),
			},
			out: &sts.AssumeRoleOutput{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			writeResult(rec, iamNamespace, tt.name, tt.in, "req-1")
			resp := &smithyhttp.Response{Response: rec.Result()}
			if err := awsquery.New(tt.service).DeserializeResponse(context.Background(), tt.op, tt.reg, resp, tt.out); err != nil {
				t.Fatalf("SDK could not read the response: %v\n%s", err, rec.Body.String())
			}
			opts := cmp.Options{cmpopts.IgnoreTypes(middleware.Metadata{}), cmpopts.EquateEmpty(), ignoreUnexportedFields}
			if diff := cmp.Diff(tt.in, tt.out, opts...); diff != "" {
				t.Errorf("round trip (-wrote +read):\n%s", diff)
			}
		})
	}
}

// ignoreUnexportedFields skips the SDK shapes' internal marker fields.
var ignoreUnexportedFields = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && !unicode.IsUpper(rune(sf.Name()[0]))
}, cmp.Ignore())
