package patterns

// The tests read stamps in named zones; embedding the zone database makes
// them independent of the machine's tzdata package.
import _ "time/tzdata"
