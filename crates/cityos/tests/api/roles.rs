//! Every role boundary of the foundation routes, for every demo role.

use crate::harness::{assert_problem, TestApp};
use serde_json::{json, Value};

const ROLES: [&str; 8] = ["admin", "agency_admin", "data_officer", "operator", "staff", "analyst", "auditor", "viewer"];

#[tokio::test]
async fn each_route_admits_exactly_its_roles() {
    let t = TestApp::spawn().await;
    let mut tokens = Vec::new();
    for u in ROLES {
        tokens.push((u, t.login(u).await));
    }
    for (i, (user, token)) in tokens.iter().enumerate() {
        let token = Some(token.as_str());
        // Any staff member.
        assert_eq!(t.get("/api/identity/roles", token).await.status(), 200, "{user} reads roles");
        assert_eq!(t.get("/api/identity/agencies", token).await.status(), 200, "{user} reads agencies");
        assert_eq!(t.get("/api/auth/me", token).await.status(), 200);
        // Citizens' own routes are not for staff.
        assert_problem(t.get("/api/citizen/me", token).await, 403, "forbidden").await;

        let users = t.get("/api/identity/users", token).await;
        if matches!(*user, "admin" | "agency_admin") {
            assert_eq!(users.status(), 200, "{user} lists users");
        } else {
            assert_problem(users, 403, "forbidden").await;
        }
        let audit = t.get("/api/audit", token).await;
        if matches!(*user, "admin" | "auditor") {
            assert_eq!(audit.status(), 200, "{user} reads the audit log");
        } else {
            assert_problem(audit, 403, "forbidden").await;
        }
        let agency = json!({"code": format!("TEST-{i}"), "name_vi": "Cơ quan thử", "name_en": "Test agency", "kind": "service", "parent_code": "UBND-TP"});
        let r = t.post("/api/identity/agencies", token, &agency).await;
        if *user == "admin" {
            assert_eq!(r.status(), 201);
        } else {
            assert_problem(r, 403, "forbidden").await;
        }
        let new_user =
            json!({"username": format!("nv.{i}"), "display_name": "Nhân viên", "password": "Nhan-vien-2025", "agency_code": "SO-XD"});
        let r = t.post("/api/identity/users", token, &new_user).await;
        if matches!(*user, "admin" | "agency_admin") {
            assert_eq!(r.status(), 201, "{user} creates a user in SO-XD");
        } else {
            assert_problem(r, 403, "forbidden").await;
        }
    }
    t.cleanup().await;
}

#[tokio::test]
async fn agency_admins_stay_inside_their_agency() {
    let t = TestApp::spawn().await;
    let aa = t.login("agency_admin").await; // agency_admin of SO-XD
                                            // They see only their agency's users: not the Department of Health's data officer.
    let users: Value = t.get("/api/identity/users", Some(&aa)).await.json().await.unwrap();
    let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["agency_admin"]);
    // No users for another agency.
    let other = json!({"username": "yte.1", "display_name": "Y tế", "password": "Nhan-vien-2025", "agency_code": "SO-YT"});
    assert_problem(t.post("/api/identity/users", Some(&aa), &other).await, 403, "forbidden").await;
    let mine = json!({"username": "xd.1", "display_name": "Xây dựng", "password": "Nhan-vien-2025", "agency_code": "SO-XD"});
    let u: Value = t.post("/api/identity/users", Some(&aa), &mine).await.json().await.unwrap();
    let grants = format!("/api/identity/users/{}/grants", u["id"].as_str().unwrap());
    // Grants only inside their scope, never admin or auditor.
    assert_problem(t.post(&grants, Some(&aa), &json!({"role": "admin", "scope": {"kind": "city"}})).await, 403, "forbidden").await;
    assert_problem(
        t.post(&grants, Some(&aa), &json!({"role": "auditor", "scope": {"kind": "agency", "code": "SO-XD"}})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        t.post(&grants, Some(&aa), &json!({"role": "staff", "scope": {"kind": "agency", "code": "SO-YT"}})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(t.post(&grants, Some(&aa), &json!({"role": "staff", "scope": {"kind": "city"}})).await, 403, "forbidden").await;
    let r = t.post(&grants, Some(&aa), &json!({"role": "staff", "scope": {"kind": "agency", "code": "SO-XD"}})).await;
    assert_eq!(r.status(), 201);
    let g: Value = r.json().await.unwrap();
    assert_problem(
        t.post(&grants, Some(&aa), &json!({"role": "staff", "scope": {"kind": "agency", "code": "SO-XD"}})).await,
        409,
        "conflict",
    )
    .await;
    // Another agency's user cannot be touched.
    let dof = t.user_id("data_officer").await;
    let r = t
        .post(
            &format!("/api/identity/users/{dof}/grants"),
            Some(&aa),
            &json!({"role": "viewer", "scope": {"kind": "agency", "code": "SO-XD"}}),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    assert_eq!(t.delete(&format!("{grants}/{}", g["id"].as_str().unwrap()), Some(&aa)).await.status(), 204);
    t.cleanup().await;
}

#[tokio::test]
async fn scopes_resolve_down_the_agency_hierarchy() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    // SO-XD gets a sub-unit; SO-XD's agency admin may manage its users too.
    let sub = json!({"code": "SO-XD-TTQL", "name_vi": "Trung tâm Quản lý hạ tầng", "name_en": "Infrastructure management centre", "kind": "service", "parent_code": "SO-XD"});
    assert_eq!(t.post("/api/identity/agencies", Some(&admin), &sub).await.status(), 201);
    let aa = t.login("agency_admin").await;
    let u = json!({"username": "ttql.1", "display_name": "TTQL", "password": "Nhan-vien-2025", "agency_code": "SO-XD-TTQL"});
    assert_eq!(t.post("/api/identity/users", Some(&aa), &u).await.status(), 201);
    let bad_parent = json!({"code": "X1", "name_vi": "X", "name_en": "X", "kind": "service", "parent_code": "NOPE"});
    assert_problem(t.post("/api/identity/agencies", Some(&admin), &bad_parent).await, 422, "invalid_input").await;
    assert_problem(t.post("/api/identity/agencies", Some(&admin), &sub).await, 409, "conflict").await;
    t.cleanup().await;
}
