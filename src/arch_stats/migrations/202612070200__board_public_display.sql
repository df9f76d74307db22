-- migrate:up

-- The club board's public links show a member only when the member allows it (issue 18):
-- a choice per club, like sharing with its coaches, made by the member, off by default.
-- (Withdrawing consent from the coaches takes a member off every board of the club, public
-- links included, whatever this says: see board/fanout.py.)
ALTER TABLE club_member
    ADD COLUMN show_on_public_board boolean NOT NULL DEFAULT false;

-- migrate:down

ALTER TABLE club_member DROP COLUMN show_on_public_board;
