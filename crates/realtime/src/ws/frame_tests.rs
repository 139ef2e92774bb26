use super::*;

const MAX: usize = 1024;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client frame: `first` is FIN, reserved bits and opcode; masked with `KEY`.
pub(in crate::ws) fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&KEY);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    frame
}

/// Decodes one whole frame; asserts it was taken whole.
fn decode(decoder: &mut Decoder, frame: &[u8], max: usize) -> Result<Option<Incoming>, Violation> {
    let mut buf = frame.to_vec();
    match decoder.decode(&mut buf, max)? {
        Decoded::Frame { len, message } => {
            assert_eq!(len, frame.len());
            Ok(message)
        }
        Decoded::Incomplete => panic!("a whole frame was incomplete"),
    }
}

fn one(frame: &[u8]) -> Result<Option<Incoming>, Violation> {
    decode(&mut Decoder::default(), frame, MAX)
}

#[test]
fn a_masked_text_frame_of_each_length_form_decodes() {
    for len in [0, 1, 125, 126, 1000, 0xFFFF, 0x10000] {
        let text = "x".repeat(len);
        let frame = client_frame(0x81, text.as_bytes());
        let mut decoder = Decoder::default();
        assert_eq!(decode(&mut decoder, &frame, 1 << 20), Ok(Some(Incoming::Text(text))));
    }
}

#[test]
fn the_rfc_example_decodes() {
    // RFC 6455 §5.7: a masked "Hello".
    let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    assert_eq!(one(&frame), Ok(Some(Incoming::Text("Hello".to_owned()))));
}

#[test]
fn every_prefix_of_a_frame_is_incomplete() {
    let frame = client_frame(0x81, &[b'a'; 300]);
    for cut in 0..frame.len() {
        let mut buf = frame[..cut].to_vec();
        assert_eq!(Decoder::default().decode(&mut buf, MAX), Ok(Decoded::Incomplete), "{cut}");
    }
}

#[test]
fn only_the_first_frame_of_a_buffer_is_taken() {
    let mut buf = client_frame(0x81, b"one");
    let first = buf.len();
    buf.extend(client_frame(0x81, b"two"));
    let decoded = Decoder::default().decode(&mut buf, MAX);
    let message = Some(Incoming::Text("one".to_owned()));
    assert_eq!(decoded, Ok(Decoded::Frame { len: first, message }));
}

#[test]
fn an_unmasked_client_frame_is_a_protocol_error() {
    assert_eq!(one(&[0x81, 0x01, b'a']), Err(Violation::Protocol("unmasked client frame")));
}

#[test]
fn reserved_bits_and_opcodes_are_protocol_errors() {
    for first in [0xC1, 0xA1, 0x91] {
        assert_eq!(one(&client_frame(first, b"a")), Err(Violation::Protocol("reserved bits set")));
    }
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        let frame = client_frame(0x80 | opcode, b"");
        assert_eq!(one(&frame), Err(Violation::Protocol("reserved opcode")), "{opcode}");
    }
}

#[test]
fn invalid_utf8_text_is_1007() {
    let error = one(&client_frame(0x81, &[0xC3, 0x28])).unwrap_err();
    assert_eq!(error.close().0, 1007);
}

#[test]
fn binary_frames_are_reported_without_their_payload() {
    assert_eq!(one(&client_frame(0x82, &[0xFF, 0, 1])), Ok(Some(Incoming::Binary)));
}

#[test]
fn ping_carries_its_payload_and_pong_is_accepted() {
    assert_eq!(one(&client_frame(0x89, b"hi")), Ok(Some(Incoming::Ping(b"hi".to_vec()))));
    assert_eq!(one(&client_frame(0x8A, b"hi")), Ok(Some(Incoming::Pong)));
}

#[test]
fn control_frames_must_be_short_and_whole() {
    let long = one(&client_frame(0x89, &[0; 126])).unwrap_err();
    assert_eq!(long.close().0, 1002);
    let fragmented = one(&client_frame(0x09, b"a")).unwrap_err();
    assert_eq!(fragmented.close().0, 1002);
}

#[test]
fn close_gives_its_code_and_checks_it() {
    assert_eq!(one(&client_frame(0x88, b"")), Ok(Some(Incoming::Close(None))));
    let mut normal = 1000u16.to_be_bytes().to_vec();
    normal.extend_from_slice(b"bye");
    assert_eq!(one(&client_frame(0x88, &normal)), Ok(Some(Incoming::Close(Some(1000)))));
    assert_eq!(
        one(&client_frame(0x88, &4001u16.to_be_bytes())),
        Ok(Some(Incoming::Close(Some(4001))))
    );
    for code in [999u16, 1005, 1006, 1015, 2999, 5000] {
        let error = one(&client_frame(0x88, &code.to_be_bytes())).unwrap_err();
        assert_eq!(error.close().0, 1002, "{code}");
    }
    assert_eq!(one(&client_frame(0x88, &[0x03])).unwrap_err().close().0, 1002);
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend_from_slice(&[0xFF]);
    assert_eq!(one(&client_frame(0x88, &bad_reason)), Err(Violation::InvalidUtf8));
}

#[test]
fn fragments_are_reassembled_around_control_frames() {
    let mut decoder = Decoder::default();
    assert_eq!(
        decode(&mut decoder, &client_frame(0x01, "héllo ".as_bytes()[..2].as_ref()), MAX),
        Ok(None)
    );
    assert_eq!(
        decode(&mut decoder, &client_frame(0x89, b""), MAX),
        Ok(Some(Incoming::Ping(vec![])))
    );
    // The split falls inside "é": only the whole message must be UTF-8.
    assert_eq!(decode(&mut decoder, &client_frame(0x00, &"héllo ".as_bytes()[2..]), MAX), Ok(None));
    let last = decode(&mut decoder, &client_frame(0x80, b"world"), MAX);
    assert_eq!(last, Ok(Some(Incoming::Text("héllo world".to_owned()))));
    assert!(decoder.fragments.is_none());
    // A binary message in fragments.
    assert_eq!(decode(&mut decoder, &client_frame(0x02, b"a"), MAX), Ok(None));
    assert_eq!(decode(&mut decoder, &client_frame(0x80, b"b"), MAX), Ok(Some(Incoming::Binary)));
}

#[test]
fn fragments_out_of_order_are_protocol_errors() {
    let error = one(&client_frame(0x80, b"a")).unwrap_err();
    assert_eq!(error, Violation::Protocol("continuation of no message"));
    let mut decoder = Decoder::default();
    decode(&mut decoder, &client_frame(0x01, b"a"), MAX).unwrap();
    let error = decode(&mut decoder, &client_frame(0x81, b"b"), MAX).unwrap_err();
    assert_eq!(error.close().0, 1002);
}

#[test]
fn invalid_utf8_across_fragments_is_1007() {
    let mut decoder = Decoder::default();
    decode(&mut decoder, &client_frame(0x01, &[0xC3]), MAX).unwrap();
    let error = decode(&mut decoder, &client_frame(0x80, &[0x28]), MAX).unwrap_err();
    assert_eq!(error, Violation::InvalidUtf8);
}

#[test]
fn a_frame_or_message_over_the_limit_is_1009_up_to_the_limit_is_fine() {
    assert!(one(&client_frame(0x81, &[b'a'; MAX])).is_ok());
    assert_eq!(one(&client_frame(0x81, &[b'a'; MAX + 1])), Err(Violation::TooLarge));
    let mut decoder = Decoder::default();
    decode(&mut decoder, &client_frame(0x01, &[b'a'; MAX - 10]), MAX).unwrap();
    decode(&mut decoder, &client_frame(0x00, &[b'a'; 10]), MAX).unwrap();
    let error = decode(&mut decoder, &client_frame(0x80, b"a"), MAX).unwrap_err();
    assert_eq!(error.close(), (1009, "Message too large"));
}

#[test]
fn a_huge_declared_length_is_refused_from_the_header_alone() {
    // Only the header: nothing of the declared 2^62 bytes is there, and nothing is allocated.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 62).to_be_bytes());
    header.extend_from_slice(&KEY);
    let mut decoder = Decoder::default();
    assert_eq!(decoder.decode(&mut header, MAX), Err(Violation::TooLarge));
    // A 64-bit length with its high bit set is not a length at all.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&u64::MAX.to_be_bytes());
    header.extend_from_slice(&KEY);
    assert_eq!(decoder.decode(&mut header, MAX).unwrap_err().close().0, 1002);
    // A 16-bit length over the limit, before its mask has arrived.
    let mut header = vec![0x81, 0x80 | 126];
    header.extend_from_slice(&2000u16.to_be_bytes());
    assert_eq!(decoder.decode(&mut header, MAX), Err(Violation::TooLarge));
}

#[test]
fn server_headers_use_the_shortest_length_form() {
    assert_eq!(Header::text(5).as_bytes(), [0x81, 5]);
    assert_eq!(Header::text(126).as_bytes(), [0x81, 126, 0, 126]);
    assert_eq!(Header::text(0xFFFF).as_bytes(), [0x81, 126, 0xFF, 0xFF]);
    assert_eq!(Header::text(0x10000).as_bytes(), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(Header::close(2).as_bytes(), [0x88, 2]);
    assert_eq!(Header::pong(0).as_bytes(), [0x8A, 0]);
}

#[test]
fn close_reasons_are_cut_to_fit_on_a_character_boundary() {
    assert_eq!(close_payload(1000, "bye"), [0x03, 0xE8, b'b', b'y', b'e']);
    let long = "é".repeat(100);
    let payload = close_payload(4200, &long);
    assert!(payload.len() <= MAX_CONTROL);
    assert!(std::str::from_utf8(&payload[2..]).is_ok());
}
