"""Tests for scoring.reliability (Shrout & Fleiss ICCs and Kendall's W)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scoring.reliability import icc_forms, kendall_w

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in
# assessing rater reliability. Psychological Bulletin, 86(2), 420-428.
# Table 2: four judges (columns) rate six targets (rows).
SHROUT_FLEISS_TABLE_2 = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# Shrout & Fleiss (1979), Table 4: the six ICCs for the Table 2 data.
SHROUT_FLEISS_TABLE_4 = {
    "ICC1": 0.17,  # ICC(1,1)
    "ICC2": 0.29,  # ICC(2,1)
    "ICC3": 0.71,  # ICC(3,1)
    "ICC1k": 0.44,  # ICC(1,4)
    "ICC2k": 0.62,  # ICC(2,4)
    "ICC3k": 0.91,  # ICC(3,4)
}

ICC_KEYS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")

# Kothari, C. R. (2004). Research Methodology: Methods and Techniques (2nd rev.
# ed.), New Age International, ch. "Testing of Hypotheses-II", section on
# Kendall's coefficient of concordance, Illustration 9 (p. 309): seven
# individuals A..G ranked by four judges at a music competition.  The book
# prints judges as rows; here they are transposed so judges are columns.
#
#   Judge 1: 1 3 2 5 7 4 6
#   Judge 2: 2 4 1 3 7 5 6
#   Judge 3: 3 4 1 2 7 6 5
#   Judge 4: 1 2 5 4 6 3 7
#
# Hand computation (m = 4 judges, n = 7 individuals, no ties):
#   R_j = A 7, B 13, C 9, D 14, E 27, F 18, G 24   (sum 112 = m n (n+1) / 2)
#   mean R = 112 / 7 = 16
#   S = 81 + 9 + 49 + 4 + 121 + 4 + 64 = 332
#   W = 12 S / (m^2 (n^3 - n)) = 3984 / (16 * 336) = 332 / 448 = 0.7410714...
KOTHARI_ILLUSTRATION_9 = np.array(
    [
        [1, 3, 2, 5, 7, 4, 6],
        [2, 4, 1, 3, 7, 5, 6],
        [3, 4, 1, 2, 7, 6, 5],
        [1, 2, 5, 4, 6, 3, 7],
    ]
).T


def _assert_same_or_both_nan(actual: float, expected: float) -> None:
    if math.isnan(expected):
        assert math.isnan(actual)
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------
# icc_forms
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "published"), sorted(SHROUT_FLEISS_TABLE_4.items()))
def test_icc_forms_shrout_fleiss_example_matches_published_table_4(key, published):
    # Arrange: Shrout & Fleiss (1979) Table 2 data, Table 4 published values.
    ratings = SHROUT_FLEISS_TABLE_2

    # Act
    result = icc_forms(ratings)

    # Assert: the paper reports two decimals.
    assert round(result[key], 2) == published


def test_icc_forms_any_input_returns_exactly_the_six_keys():
    # Arrange
    ratings = np.array(SHROUT_FLEISS_TABLE_2, dtype=float)

    # Act
    result = icc_forms(ratings)

    # Assert
    assert set(result) == set(ICC_KEYS)
    assert all(isinstance(value, float) for value in result.values())


def test_icc_forms_numpy_input_is_not_mutated():
    # Arrange
    ratings = np.array(SHROUT_FLEISS_TABLE_2, dtype=float)
    snapshot = ratings.copy()

    # Act
    icc_forms(ratings)

    # Assert
    np.testing.assert_array_equal(ratings, snapshot)


def test_icc_forms_nan_input_raises_value_error():
    # Arrange
    ratings = np.array(SHROUT_FLEISS_TABLE_2, dtype=float)
    ratings[2, 1] = np.nan

    # Act / Assert
    with pytest.raises(ValueError, match="NaN"):
        icc_forms(ratings)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([[1.0, 2.0, 3.0]], "at least 2 targets"),
        ([[1.0], [2.0], [3.0]], "at least 2 raters"),
        ([1.0, 2.0, 3.0], "2-D matrix"),
    ],
)
def test_icc_forms_too_small_or_wrong_shape_raises_value_error(ratings, message):
    # Arrange: parameters above.

    # Act / Assert
    with pytest.raises(ValueError, match=message):
        icc_forms(ratings)


def test_icc_forms_all_identical_ratings_give_nan_without_warnings():
    # Arrange: zero variance everywhere, every denominator is zero.
    ratings = np.full((5, 3), 0.1)

    # Act
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = icc_forms(ratings)

    # Assert
    assert all(math.isnan(result[key]) for key in ICC_KEYS)


def test_icc_forms_identical_rows_give_nan_only_where_denominator_is_zero():
    # Arrange: BMS = 0 and EMS = 0, but raters differ (JMS > 0, WMS > 0).
    ratings = [[1, 2], [1, 2], [1, 2]]

    # Act
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = icc_forms(ratings)

    # Assert: ICC(1,1) = (0 - WMS) / (0 + WMS) = -1; forms divided by BMS alone
    # or by BMS + (k-1) EMS are undefined.
    assert result["ICC1"] == pytest.approx(-1.0)
    assert math.isnan(result["ICC1k"])
    assert math.isnan(result["ICC3"])
    assert math.isnan(result["ICC3k"])


def test_icc_forms_perfect_agreement_gives_one():
    # Arrange: every rater gives every target the same score.
    ratings = np.repeat(np.array([[1.0], [4.0], [2.0], [7.0]]), 3, axis=1)

    # Act
    result = icc_forms(ratings)

    # Assert
    for key in ICC_KEYS:
        assert result[key] == pytest.approx(1.0)


@given(
    matrix=hnp.arrays(
        dtype=np.int64,
        shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=8),
        elements=st.integers(min_value=0, max_value=9),
    ),
    data=st.data(),
)
def test_icc_forms_row_permutation_leaves_values_unchanged(matrix, data):
    # Arrange
    permutation = data.draw(st.permutations(range(matrix.shape[0])))
    shuffled = matrix[np.asarray(permutation)]

    # Act
    original = icc_forms(matrix)
    permuted = icc_forms(shuffled)

    # Assert
    for key in ICC_KEYS:
        _assert_same_or_both_nan(permuted[key], original[key])


# --------------------------------------------------------------------------
# kendall_w
# --------------------------------------------------------------------------


def test_kendall_w_kothari_illustration_matches_hand_computation():
    # Arrange: Kothari (2004) Illustration 9, see the module-level comment.
    ratings = KOTHARI_ILLUSTRATION_9

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(332 / 448)
    assert round(result, 3) == 0.741


def test_kendall_w_proofwiki_example_matches_published_value():
    # Arrange: ProofWiki, "Kendall's Coefficient of Concordance/Examples/
    # Arbitrary Example 1": competitors X, Y, Z ranked by judges A-D.
    #   R = X 7, Y 9, Z 8; mean m (n + 1) / 2 = 4 * 4 / 2 = 8; S = 1 + 1 + 0 = 2
    #   W = 12 * 2 / (4^2 * (3^3 - 3)) = 24 / 384 = 1/16 (published answer).
    ratings = [
        [1, 1, 2, 3],  # X
        [3, 2, 3, 1],  # Y
        [2, 3, 1, 2],  # Z
    ]

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(1 / 16)


def test_kendall_w_raw_scores_give_same_result_as_their_ranks():
    # Arrange: a strictly increasing transform of each judge's ranks.
    ranks = KOTHARI_ILLUSTRATION_9
    scores = 10.0 * ranks**2 + 3.5

    # Act
    from_scores = kendall_w(scores)
    from_ranks = kendall_w(ranks)

    # Assert
    assert from_scores == pytest.approx(from_ranks)


def test_kendall_w_tied_scores_apply_tie_correction():
    # Arrange: 4 targets (rows) x 3 raters (columns) with ties.
    #   Rater A scores 10, 10, 20, 30 -> ranks 1.5, 1.5, 3, 4; one tie of t=2:
    #       T_A = 2^3 - 2 = 6
    #   Rater B scores  5,  7,  7,  7 -> ranks 1, 3, 3, 3;     one tie of t=3:
    #       T_B = 3^3 - 3 = 24
    #   Rater C scores  1,  2,  3,  4 -> ranks 1, 2, 3, 4;     T_C = 0
    #   Rank sums R = 3.5, 6.5, 9, 11 (total 30); mean m (n + 1) / 2 = 7.5
    #   S = 16 + 1 + 2.25 + 12.25 = 31.5
    #   W = 12 S / (m^2 (n^3 - n) - m sum T) = 378 / (9 * 60 - 3 * 30)
    #     = 378 / 450 = 0.84   (uncorrected would be 378 / 540 = 0.70)
    ratings = [
        [10, 5, 1],
        [10, 7, 2],
        [20, 7, 3],
        [30, 7, 4],
    ]

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(0.84)


def test_kendall_w_perfect_agreement_gives_one():
    # Arrange: three raters, same order, different scales.
    ratings = [
        [1, 10, 0.1],
        [2, 20, 0.2],
        [3, 30, 0.3],
        [4, 40, 0.4],
        [5, 50, 0.5],
    ]

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(1.0)


def test_kendall_w_perfect_agreement_with_shared_ties_gives_one():
    # Arrange: both raters tie the same two targets; only the tie-corrected
    # formula reaches 1 here.
    ratings = [[1, 1], [2, 2], [2, 2], [3, 3]]

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(1.0)


def test_kendall_w_two_raters_in_opposite_order_gives_zero():
    # Arrange: rank sums are all n + 1, so S = 0.
    ratings = [[1, 5], [2, 4], [3, 3], [4, 2], [5, 1]]

    # Act
    result = kendall_w(ratings)

    # Assert
    assert result == pytest.approx(0.0, abs=1e-12)


def test_kendall_w_all_identical_ratings_give_nan_without_warnings():
    # Arrange: every rater ties every target, so the denominator is zero.
    ratings = np.full((4, 3), 2.0)

    # Act
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = kendall_w(ratings)

    # Assert
    assert math.isnan(result)


def test_kendall_w_numpy_input_is_not_mutated():
    # Arrange
    ratings = np.array([[3.0, 1.0], [1.0, 1.0], [2.0, 3.0]])
    snapshot = ratings.copy()

    # Act
    kendall_w(ratings)

    # Assert
    np.testing.assert_array_equal(ratings, snapshot)


def test_kendall_w_nan_input_raises_value_error():
    # Arrange
    ratings = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 3.0]])

    # Act / Assert
    with pytest.raises(ValueError, match="NaN"):
        kendall_w(ratings)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([[1.0, 2.0, 3.0]], "at least 2 targets"),
        ([[1.0], [2.0], [3.0]], "at least 2 raters"),
    ],
)
def test_kendall_w_too_small_matrix_raises_value_error(ratings, message):
    # Arrange: parameters above.

    # Act / Assert
    with pytest.raises(ValueError, match=message):
        kendall_w(ratings)


@given(
    matrix=hnp.arrays(
        dtype=np.int64,
        shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=10),
        elements=st.integers(min_value=-5, max_value=5),
    )
)
def test_kendall_w_random_integer_matrix_lies_in_unit_interval(matrix):
    # Arrange: parameters from hypothesis (small range, so many ties).

    # Act
    result = kendall_w(matrix)

    # Assert: nan only when every rater ties every target.
    if math.isnan(result):
        assert (matrix == matrix[0]).all()
    else:
        assert -1e-12 <= result <= 1.0 + 1e-12


def _reference_kendall_w(matrix: np.ndarray) -> float:
    """Plain-Python oracle: average ranks per column, then the tie-corrected W."""
    n, m = matrix.shape
    rank_sums = [0.0] * n
    tie_total = 0
    for j in range(m):
        column = [float(v) for v in matrix[:, j]]
        for i, value in enumerate(column):
            below = sum(1 for other in column if other < value)
            equal = sum(1 for other in column if other == value)
            rank_sums[i] += below + (equal + 1) / 2
        for value in set(column):
            t = column.count(value)
            tie_total += t**3 - t
    s = sum((r - m * (n + 1) / 2) ** 2 for r in rank_sums)
    denominator = m**2 * (n**3 - n) - m * tie_total
    return math.nan if denominator == 0 else 12 * s / denominator


@given(
    matrix=hnp.arrays(
        dtype=np.int64,
        shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=8),
        elements=st.integers(min_value=0, max_value=4),
    )
)
def test_kendall_w_random_integer_matrix_matches_plain_python_reference(matrix):
    # Arrange
    expected = _reference_kendall_w(matrix)

    # Act
    result = kendall_w(matrix)

    # Assert
    _assert_same_or_both_nan(result, expected)
