//! Telnet's in-band commands (RFC 854, "TELNET COMMAND STRUCTURE"; RFC 855 for option
//! subnegotiation) separated from the data stream.

/// Interpret As Command: the escape that starts every command.
pub const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const WILL: u8 = 251;
const DONT: u8 = 254;
/// Subnegotiations longer than this without their `IAC SE` are treated as malformed rather
/// than waited for: real ones (terminal type, window size) are a few bytes.
const MAX_SUBNEGOTIATION: usize = 1024;

/// One piece of a Telnet stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// Data bytes, with any `IAC IAC` already reduced to one 255.
    Data(&'a [u8]),
    /// An option negotiation (`WILL`, `WONT`, `DO`, `DONT`) or a two-byte command.
    Command {
        /// The command code.
        command: u8,
        /// The option, for negotiations.
        option: Option<u8>,
    },
    /// An option subnegotiation, `IAC SB option … IAC SE`.
    Subnegotiation {
        /// The option.
        option: u8,
        /// The parameters, undecoded.
        data: &'a [u8],
    },
    /// `IAC` followed by a byte that is no command; both bytes are skipped.
    UnknownCommand(u8),
    /// `IAC SB option` with no `IAC SE` in sight; the three bytes are skipped.
    Unterminated(u8),
}

/// Splits a chunk into tokens, stopping before an incomplete command so that the engine can
/// offer it again with the bytes that complete it.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    /// Tokenise `data`.
    pub fn new(data: &'a [u8]) -> Tokens<'a> {
        Tokens { data, pos: 0 }
    }

    /// Return how many bytes the tokens returned so far cover.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Return the offset of the next token.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.data.get(self.pos..)?;
        let (token, len) = match *rest {
            [] => return None,
            [IAC, IAC, ..] => (Token::Data(rest.get(1..2)?), 2),
            [IAC, command @ WILL..=DONT, option, ..] => (
                Token::Command {
                    command,
                    option: Some(option),
                },
                3,
            ),
            [IAC, SB, option, ..] => {
                let body = rest.get(3..)?;
                match body.windows(2).position(|w| w == [IAC, SE]) {
                    Some(end) => (
                        Token::Subnegotiation {
                            option,
                            data: body.get(..end)?,
                        },
                        3 + end + 2,
                    ),
                    None if body.len() > MAX_SUBNEGOTIATION => (Token::Unterminated(option), 3),
                    None => return None,
                }
            }
            // Two-byte commands: SE up to, not including, SB (which is handled above).
            [IAC, command @ SE..SB, ..] => (
                Token::Command {
                    command,
                    option: None,
                },
                2,
            ),
            [IAC, other, ..] if other < SE => (Token::UnknownCommand(other), 2),
            [IAC, ..] => return None,
            _ => {
                let len = rest.iter().position(|&b| b == IAC).unwrap_or(rest.len());
                (Token::Data(rest.get(..len)?), len)
            }
        };
        self.pos += len;
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_negotiation_from_data() {
        let stream = [
            IAC, 0xfd, 0x18, // DO TERMINAL-TYPE
            IAC, 0xfa, 0x18, 0x01, IAC, 0xf0, // SB TERMINAL-TYPE SEND SE
            b'l', b'o', b'g', b'i', b'n', b':', b' ', // "login: "
            IAC, IAC, // a literal 255
            IAC, 0xf1, // NOP
        ];
        let tokens: Vec<_> = Tokens::new(&stream).collect();
        assert_eq!(
            tokens,
            vec![
                Token::Command {
                    command: 0xfd,
                    option: Some(0x18)
                },
                Token::Subnegotiation {
                    option: 0x18,
                    data: &[0x01]
                },
                Token::Data(b"login: "),
                Token::Data(&[0xff]),
                Token::Command {
                    command: 0xf1,
                    option: None
                },
            ]
        );
    }

    #[test]
    fn stops_before_an_incomplete_command() {
        for (stream, consumed) in [
            (&[b'a', IAC][..], 1),
            (&[b'a', IAC, 0xfb][..], 1),
            (&[IAC, 0xfa, 0x18, 0x00, b'x', IAC][..], 0),
        ] {
            let mut t = Tokens::new(stream);
            t.by_ref().for_each(drop);
            assert_eq!(t.consumed(), consumed, "{stream:?}");
        }
    }

    #[test]
    fn gives_up_on_an_endless_subnegotiation() {
        let mut stream = vec![IAC, 0xfa, 0x18];
        stream.resize(3 + MAX_SUBNEGOTIATION + 1, b'x');
        let mut t = Tokens::new(&stream);
        assert_eq!(t.next(), Some(Token::Unterminated(0x18)));
        assert_eq!(t.next(), Some(Token::Data(&stream[3..])));
    }

    #[test]
    fn skips_iac_followed_by_a_non_command() {
        let tokens: Vec<_> = Tokens::new(&[IAC, b'A', b'B']).collect();
        assert_eq!(tokens, vec![Token::UnknownCommand(b'A'), Token::Data(b"B")]);
    }
}
