/*
 * s3_creds.h - the credentials the S3 backend signs with: static keys
 * (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY) or an EC2 instance profile
 * fetched from AWS_IAM_ROLE_ENDPOINT and refreshed ahead of expiry.
 */
#ifndef BK_S3_CREDS_H
#define BK_S3_CREDS_H

#include <pthread.h>
#include <time.h>

struct bk_err;
struct settings;

struct s3_creds {
	const struct settings	*admin;		/* HTTP set-up for IMDS */
	pthread_mutex_t		 mu;
	char			*ak, *sk, *token;
	char			*iam_url;	/* instance profile, or NULL */
	time_t			 expires;
};

/* Ready for s3_creds_cleanup() whatever happens next. */
void	s3_creds_init(struct s3_creds *, const struct settings *admin);
/* Read the user's credential settings; BK_ECONFIG naming the one that is
 * missing.  Static keys are registered as secrets. */
int	s3_creds_load(struct s3_creds *, const struct settings *user,
	    struct bk_err *);
/* Copies of the current credentials (token may be NULL), fetching the
 * instance profile first when there is none yet or it expires within five
 * minutes.  Any thread. */
int	s3_creds_get(struct s3_creds *, char **ak, char **sk, char **token,
	    struct bk_err *);
void	s3_creds_cleanup(struct s3_creds *);

#endif
