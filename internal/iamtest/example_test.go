package iamtest_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roster-dev/roster/internal/iamtest"
)

// A test seeds an account in Go, points the real SDK clients at the server
// and then checks what was called.
func Example() {
	s := iamtest.NewServer(nil, iamtest.WithDefaultAccount("111122223333"))
	defer s.Close()
	s.Account("444455556666").AddRole("roster-plan", "iam:List*", "iam:Get*")
	s.Account("444455556666").PutUser(iamtest.User{Name: "alice", Path: "/people/"})

	ctx := context.Background()
	cfg := s.AWSConfig("111122223333")
	creds, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::444455556666:role/roster-plan"),
		RoleSessionName: aws.String("plan"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     aws.ToString(creds.Credentials.AccessKeyId),
			SecretAccessKey: aws.ToString(creds.Credentials.SecretAccessKey),
			SessionToken:    aws.ToString(creds.Credentials.SessionToken),
		}, nil
	})
	out, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(out.Users[0].Arn))
	fmt.Println(s.CallCount("444455556666", "ListUsers"), len(s.Writes()))
	// Output:
	// arn:aws:iam::444455556666:user/people/alice
	// 1 0
}
