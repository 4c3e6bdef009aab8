//! The harness's root operator has a colleague: a four-eyes proposal root makes is approved at
//! once by a second operator with every role, so tests of everything else keep calling as one
//! operator (tests of four eyes itself use operators of their own: `four_eyes.rs`).

use serde_json::json;

use crate::harness::{Answer, Auth, OperatorLogin, ROLES, TestServer};

impl TestServer {
    /// Root acts as one operator who always has a colleague at hand: a four-eyes proposal
    /// root made is approved at once by a second root operator, and the answer is the applied
    /// call's (tests of four eyes itself use operators of their own).
    pub(crate) async fn approved(&self, answer: Answer) -> Answer {
        let pending = answer.status == 202 && answer.body["approval_id"].is_string();
        if !pending {
            return answer;
        }
        let id = answer.body["approval_id"].as_str().unwrap().to_owned();
        let checker = Auth::Bearer(self.checker_token().await);
        let path = format!("/v1/approvals/{id}/approve");
        let mut decided = self
            .send_as(&checker, "POST", &path, b"{}", Some(&self.key()), &[])
            .await;
        if decided.status == 409 {
            decided = self
                .send_as(&checker, "GET", &format!("/v1/approvals/{id}"), b"", None, &[])
                .await;
        }
        assert_eq!(decided.status, 200, "{}", decided.text);
        let result = decided.body["result"].clone();
        Answer {
            status: decided.body["result_status"].as_u64().unwrap() as u16,
            text: result.to_string(),
            body: result,
            replayed: answer.replayed,
            retry_after: None,
        }
    }

    /// The second root operator's session (made and logged in on first use).
    async fn checker_token(&self) -> String {
        let mut checker = self.checker.lock().await;
        if let Some(token) = &*checker {
            return token.clone();
        }
        let root = Auth::Bearer(self.root_token().await);
        let password = "root-checker-password-0123";
        let body = json!({"name": "root-checker", "password": password, "roles": ROLES});
        let bytes = serde_json::to_vec(&body).unwrap();
        let made = self
            .send_as(&root, "POST", "/v1/operators", &bytes, Some(&self.key()), &[])
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let made = OperatorLogin {
            id: made.str("operator_id"),
            name: "root-checker".into(),
            password: password.into(),
            secret: made.str("totp_secret"),
        };
        let answer = self.login(&made).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let token = answer.str("token");
        *checker = Some(token.clone());
        token
    }
}
