//! What a team adds to a case: notes (`POST /v1/cases/{case_id}/notes`), links to other cases
//! of the same ring (`POST .../links`, both ways), attachments (`POST .../attachments`, read back
//! by `GET .../attachments/{n}` as a download, never rendered), and a theft case opened by an
//! operator for a customer who reported it outside iou (`POST /v1/cases`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use credit::AccountId;
use engine::{CaseId, ask};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use utoipa::ToSchema;

use crate::edge::casework::{self, Attachment, Note};
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::cases::{CaseView, find_case};
use crate::http::routes::casework::{FileWrite, change, invalid, person};
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// 1 to 2,000 characters.
    pub text: String,
}

/// Write a note on a case (cases.resolve).
#[utoipa::path(operation_id = "note_case", post, path = "/v1/cases/{case_id}/notes", tag = "risk", request_body = NoteBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "the case with its notes", body = CaseView), Refusals, Unavailable))]
pub async fn note(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesResolve)?;
    let (_, author) = person(&call)?;
    let body: NoteBody = call.json()?;
    let text = body.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > casework::NOTE_CHARS_MAX {
        return Err(invalid("text", "a note is 1 to 2000 characters"));
    }
    change(&state, &call, StatusCode::CREATED, |_, work, at_us| {
        if work.notes.len() >= casework::NOTES_MAX {
            return Err(invalid("text", "a case holds at most 200 notes"));
        }
        work.notes.push(Note { author, at_us, text });
        Ok(None)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The other case (of the same ring or incident).
    pub case_id: String,
}

/// Link two cases, both ways (cases.resolve).
#[utoipa::path(operation_id = "link_case", post, path = "/v1/cases/{case_id}/links", tag = "risk", request_body = LinkBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the case with its links", body = CaseView), Refusals, Unavailable))]
pub async fn link(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesResolve)?;
    let body: LinkBody = call.json()?;
    let other: u64 = body
        .case_id
        .parse()
        .map_err(|_| invalid("case_id", "a case id is a number"))?;
    let this = call.id("case_id")?;
    if other == this {
        return Err(invalid("case_id", "a case is not linked to itself"));
    }
    find_case(&state, CaseId(other))
        .await
        .map_err(|e| e.with_field("case_id"))?;
    let answer = change(&state, &call, StatusCode::OK, |_, work, _| {
        if !work.links.contains(&other) {
            if work.links.len() >= casework::LINKS_MAX {
                return Err(invalid("case_id", "a case links at most 50 others"));
            }
            work.links.push(other);
        }
        Ok(None)
    })
    .await?;
    // The other side: the same link, read from it.
    let _write = state.casework().write.lock().await;
    let mut theirs = state.casework().work(other);
    if !theirs.links.contains(&this) && theirs.links.len() < casework::LINKS_MAX {
        theirs.links.push(this);
        state.casework().put(state.meta(), theirs).await?;
    }
    Ok(answer)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    /// A file name (1 to 100 characters, no path).
    pub name: String,
    /// Its media type as the uploader said (`image/png`); it is only shown: a download is
    /// always served as `application/octet-stream`.
    pub media_type: String,
    /// The bytes, base64 (standard alphabet), at most 46 KiB decoded (a request body is at most 64 KiB).
    pub content_base64: String,
}

/// Attach a file to a case: a screenshot, a police report, a bank letter (cases.resolve).
#[utoipa::path(operation_id = "attach_to_case", post, path = "/v1/cases/{case_id}/attachments", tag = "risk", request_body = AttachmentBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "the case with its attachments", body = CaseView), Refusals, Unavailable))]
pub async fn attach(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesResolve)?;
    let (_, author) = person(&call)?;
    let body: AttachmentBody = call.json()?;
    let name = body.name.trim().to_owned();
    let name_ok = (1..=100).contains(&name.chars().count())
        && !name.contains(['/', '\\'])
        && !name.starts_with('.')
        && !name.chars().any(char::is_control);
    if !name_ok {
        return Err(invalid("name", "a file name of 1 to 100 characters, without a path"));
    }
    let media_type = body.media_type.trim().to_owned();
    let media_ok = media_type.len() <= 100
        && media_type
            .split_once('/')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && media_type.bytes().all(|b| b.is_ascii_graphic());
    if !media_ok {
        return Err(invalid("media_type", "a media type like image/png"));
    }
    if body.content_base64.len() > casework::ATTACHMENT_BYTES_MAX / 3 * 4 + 4 {
        return Err(invalid("content_base64", "an attachment is at most 46 KiB"));
    }
    let bytes = data_encoding::BASE64
        .decode(body.content_base64.as_bytes())
        .map_err(|_| invalid("content_base64", "the content is not base64"))?;
    if bytes.is_empty() || bytes.len() > casework::ATTACHMENT_BYTES_MAX {
        return Err(invalid("content_base64", "an attachment is 1 byte to 46 KiB"));
    }
    let case = call.id("case_id")?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let size = bytes.len();
    let base64 = body.content_base64;
    change(&state, &call, StatusCode::CREATED, |_, work, at_us| {
        if work.attachments.len() >= casework::ATTACHMENTS_MAX {
            return Err(invalid("content_base64", "a case holds at most 10 attachments"));
        }
        let n = work.attachments.len() as u32 + 1;
        work.attachments.push(Attachment {
            n,
            name,
            media_type,
            bytes: size,
            sha256,
            author,
            at_us,
        });
        let key = casework::file_key(case, n);
        Ok(Some(FileWrite { key, base64 }))
    })
    .await
}

/// Download an attachment (cases.read): `application/octet-stream`, as an attachment, never
/// sniffed or rendered by the browser.
#[utoipa::path(operation_id = "case_attachment", get, path = "/v1/cases/{case_id}/attachments/{n}", tag = "risk",
    params(("case_id" = String, Path), ("n" = u32, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the bytes", content_type = "application/octet-stream", body = Vec<u8>), Refusals))]
pub async fn attachment(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesRead)?;
    let case = call.id("case_id")?;
    let n = call.id("n")?;
    let work = state.casework().work(case);
    let Some(file) = work.attachments.iter().find(|a| u64::from(a.n) == n) else {
        return Err(ApiError::new(ErrorCode::AttachmentNotFound, "no such attachment").with_field("n"));
    };
    let text = state
        .meta()
        .get(casework::file_key(case, file.n))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::AttachmentNotFound, "no such attachment").with_field("n"))?;
    let bytes = data_encoding::BASE64
        .decode(text.as_bytes())
        .map_err(|e| ApiError::internal(format!("a stored attachment: {e}")))?;
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"")),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    Ok((StatusCode::OK, headers, bytes).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    pub customer_id: String,
    /// The transactions the customer says they did not make.
    pub txn_ids: Vec<String>,
    /// How and when the customer reported it (kept as the case's first note): 3 to 2,000
    /// characters.
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedCase {
    pub case_id: String,
    /// The account is frozen (`theft_report`) as with a report from the app.
    pub frozen: &'static str,
}

/// Open a theft case for a customer who reported it outside iou (cases.open). It is the
/// customer's theft report made for them: the account freezes and open holds of those
/// transactions are voided.
#[utoipa::path(operation_id = "open_case", post, path = "/v1/cases", tag = "risk", request_body = OpenCaseBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "case opened", body = OpenedCase), Refusals, Unavailable))]
pub async fn open(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::CasesOpen)?;
    let (_, author) = person(&call)?;
    let body: OpenCaseBody = call.json()?;
    let account = AccountId(
        body.customer_id
            .parse()
            .map_err(|_| invalid("customer_id", "a customer id is a number"))?,
    );
    let text = body.note.trim().to_owned();
    if !(3..=casework::NOTE_CHARS_MAX).contains(&text.chars().count()) {
        return Err(invalid(
            "note",
            "a note of 3 to 2000 characters: how the customer reported it",
        ));
    }
    let txns = crate::http::routes::monitoring::parse_txns(&body.txn_ids)?;
    let report = ask::ReportTheft { account, txns };
    let answered = ask(&state, report, call.idem()?, Audience::Account, None)
        .await
        .map_err(|e| match e.code {
            ErrorCode::TxnNotFound => e.with_field("txn_ids"),
            ErrorCode::AccountNotFound => e.with_field("customer_id"),
            _ => e,
        })?;
    let case = answered.reply.case.0;
    {
        let _write = state.casework().write.lock().await;
        let mut work = state.casework().work(case);
        if work.notes.is_empty() {
            let at_us = state.clock().now().as_microsecond();
            work.notes.push(Note { author, at_us, text });
            state.casework().put(state.meta(), work).await?;
        }
    }
    let opened = OpenedCase {
        case_id: case.to_string(),
        frozen: "theft_report",
    };
    Ok(respond(StatusCode::CREATED, &opened, answered.replayed))
}
