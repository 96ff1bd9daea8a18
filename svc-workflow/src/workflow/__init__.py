"""Case handling (办件流转): Cases, staff tasks, decisions, working-day time limits, electronic supervision and the immutable trace."""
