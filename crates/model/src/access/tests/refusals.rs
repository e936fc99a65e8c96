//! Role set-ups that would break the promises are refused, and role names are checked.

use super::*;

#[tokio::test]
async fn roles_that_would_break_the_promises_are_refused() {
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let defaults = PipelineRoles::default();
    for (roles, needle) in [
        (
            PipelineRoles {
                bi: DEFAULT_LOADER_ROLE,
                ..defaults
            },
            "read-only",
        ),
        (
            PipelineRoles {
                transformer: DEFAULT_LOADER_ROLE,
                ..defaults
            },
            "must differ",
        ),
        (
            PipelineRoles {
                loader: "Loader",
                ..defaults
            },
            "plain lower-case",
        ),
    ] {
        let e = grant_pipeline_roles(&mut c, &roles).await.unwrap_err();
        assert!(e.to_string().contains(needle), "{roles:?}: {e}");
    }
    // An existing role with more rights than a pipeline role may have.
    let mighty = format!("{}_mighty", db.name());
    c.batch_execute(&format!("CREATE ROLE {mighty} NOLOGIN CREATEROLE"))
        .await
        .unwrap();
    let e = grant_pipeline_roles(
        &mut c,
        &PipelineRoles {
            transformer: &mighty,
            ..defaults
        },
    )
    .await
    .unwrap_err();
    c.batch_execute(&format!("DROP ROLE {mighty}"))
        .await
        .unwrap();
    assert!(e.to_string().contains("CREATEROLE"), "{e}");
    // Validating with the loader's rights is a choice the configuration may make.
    grant_pipeline_roles(
        &mut c,
        &PipelineRoles {
            validator: DEFAULT_LOADER_ROLE,
            ..defaults
        },
    )
    .await
    .unwrap();
}

#[test]
fn role_names_are_plain_identifiers_or_refused() {
    assert_eq!(
        quote_role("retention_bi").ok().as_deref(),
        Some("\"retention_bi\"")
    );
    for bad in [
        "",
        "Bi",
        "1bi",
        "bi;drop",
        "bi\"x",
        "pg_read",
        &"x".repeat(64),
    ] {
        assert!(quote_role(bad).is_err(), "{bad:?} accepted");
    }
}
